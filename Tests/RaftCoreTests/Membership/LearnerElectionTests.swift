import Testing
@testable import RaftCore

/// A learner holding the newest log campaigns when, and only when, a candidate with an older
/// log needs its vote; it counts only the voters' grants, leads only to hand over to a voter
/// that may vote (Engine+LearnerElection).
@Suite("Membership: a learner holding the newest log")
struct LearnerElectionTests {
    /// A vote request to learner 4 from a candidate whose log ends at `last`.
    func voteRequest(term: Term, from candidate: NodeID, last: LogID?, preVote: Bool = true, rpcID: UInt64 = 500) -> RaftMessage<TestTypes> {
        .vote(VoteRequest(vote: Vote(term: term, votedFor: candidate), lastLogID: last, isPreVote: preVote, rpcID: rpcID))
    }

    func grant(_ request: VoteRequest, from voter: NodeID) -> RaftMessage<TestTypes> {
        .voteResponse(VoteResponse(vote: request.vote, granted: true, isPreVote: request.isPreVote, requestTerm: request.vote.term, lastLogID: nil, rpcID: request.rpcID))
    }

    func campaigned(_ cluster: ManualCluster, _ id: NodeID) -> Bool {
        cluster.events(id).contains { if case .becameCandidate = $0 { true } else { false } }
    }

    @Test func learnerThatNoCandidateNeedsNeverCampaigns() {
        let cluster = ManualCluster.newestLogOnALearner()
        // Node 3's configuration is the only one that counts learner 4 as a voter.
        cluster.isolated = [3]
        cluster.run(for: .seconds(2), step: .milliseconds(20))
        #expect(!campaigned(cluster, 4))
        #expect(cluster[4].nextDeadline == nil)
        #expect(cluster.leaders.isEmpty, "node 2 alone cannot win")
    }

    @Test func learnerCountsOnlyTheVotersGrantsOfItsOwnConfiguration() throws {
        let cluster = ManualCluster.newestLogOnALearner()
        cluster.isolated = [1, 2, 3]
        cluster.advance(by: .seconds(1))
        cluster.inFlight.removeAll()
        cluster.inject(voteRequest(term: 4, from: 3, last: cluster[3].lastLogID), from: 3, to: 4)
        cluster.inFlight.removeAll()
        cluster.advance(by: .milliseconds(1))
        let preVotes = cluster.inFlight.filter { $0.from == 4 }
        #expect(Set(preVotes.map(\.to)) == [1, 2, 3], "asks the voters of its own configuration {1,2,3}")
        let preVote = try #require(preVotes.first?.message.voteRequest)
        #expect(preVote.isPreVote && preVote.lastLogID == lid(3, 1, 4))

        cluster.inject(grant(preVote, from: 2), from: 2, to: 4)
        #expect(!cluster.inFlight.contains { $0.from == 4 && $0.message.voteRequest?.isPreVote == false }, "one voter of three is no quorum")
        cluster.inject(grant(preVote, from: 3), from: 3, to: 4)
        let election = try #require(cluster.inFlight.last { $0.from == 4 }?.message.voteRequest)
        #expect(!election.isPreVote)
        #expect(cluster[4].serverState == .candidate)

        cluster.inject(grant(election, from: 2), from: 2, to: 4)
        #expect(!cluster[4].isLeader, "its own durable vote does not make {2,4} a quorum of {1,2,3}")
        cluster.inject(grant(election, from: 3), from: 3, to: 4)
        #expect(cluster[4].isLeader)

        // It leads only to hand over: no writes, no membership changes.
        #expect(throws: ProposeError.forwardToLeader(ForwardToLeader(leaderID: nil))) { try cluster.propose(["x"], on: 4) }
        #expect(throws: MembershipChangeFailure.self) { try cluster.changeMembership(.addVoterIDs([4]), on: 4) }
    }

    @Test func learnerLeaderHandsOverToAVoterThatMayVote() throws {
        let cluster = ManualCluster.newestLogOnALearner()
        cluster.run(for: .seconds(3))
        let handOver = try #require(cluster.delivered.first { $0.from == 4 && $0.message.timeoutNowRequest != nil })
        #expect(handOver.to != 1, "node 1 is as caught up as any voter but may not vote")
        #expect(cluster.leaders == [handOver.to])
        #expect(cluster[1].votingSuspended)
    }

    @Test func learnerWithALiveLeaderIsNotMovedToCampaign() {
        let cluster = ManualCluster.newestLogOnALearner()
        cluster.isolated = [1, 2, 3]
        // Just restarted with a leader's vote: it assumes that leader alive for a timeout.
        cluster.inject(voteRequest(term: 4, from: 3, last: cluster[3].lastLogID), from: 3, to: 4)
        cluster.run(for: .seconds(1), step: .milliseconds(20))
        #expect(!campaigned(cluster, 4))
    }

    @Test func candidateWithAnEqualOrNewerLogDoesNotMoveALearnerToCampaign() {
        let cluster = ManualCluster.newestLogOnALearner()
        cluster.isolated = [1, 2, 3]
        cluster.advance(by: .seconds(1))
        cluster.inject(voteRequest(term: 4, from: 3, last: lid(3, 1, 4)), from: 3, to: 4)
        cluster.inject(voteRequest(term: 5, from: 3, last: lid(4, 3, 5), preVote: false, rpcID: 501), from: 3, to: 4)
        cluster.run(for: .seconds(1), step: .milliseconds(20))
        #expect(!campaigned(cluster, 4))
    }

    @Test func learnerWhoseVotingIsSuspendedIsNotMovedToCampaign() {
        let cluster = ManualCluster.newestLogOnALearner()
        cluster.restart(4, votingSuspended: true)
        cluster.isolated = [1, 2, 3]
        cluster.advance(by: .seconds(1))
        cluster.inject(voteRequest(term: 4, from: 3, last: cluster[3].lastLogID), from: 3, to: 4)
        cluster.run(for: .seconds(1), step: .milliseconds(20))
        #expect(!campaigned(cluster, 4))
        #expect(cluster[4].nextDeadline == nil)
    }

    @Test func learnersCampaignsStopWhenNoCandidateAsksAnyMore() {
        let cluster = ManualCluster.newestLogOnALearner()
        cluster.isolated = [1, 2, 3]
        cluster.advance(by: .seconds(1))
        cluster.inject(voteRequest(term: 4, from: 3, last: cluster[3].lastLogID), from: 3, to: 4)
        cluster.run(for: .milliseconds(100), step: .milliseconds(10))
        #expect(campaigned(cluster, 4))
        // Two maximum election timeouts after the request, and one campaign timeout later, it
        // is a quiet learner again.
        cluster.run(for: cluster.config.electionTimeoutMax * 3, step: .milliseconds(10))
        #expect(cluster[4].serverState == .learner)
        #expect(cluster[4].nextDeadline == nil)
        cluster.inFlight.removeAll()
        cluster.isolated = []
        cluster.advance(by: .seconds(5))
        #expect(cluster.inFlightMessages(from: 4).isEmpty)
    }
}

extension ManualCluster {
    /// The cluster of `raft-sim --seed 1757 --faults all,-clock-jumps`, as it stood once
    /// faults healed: the committed configuration is {1,2,3} with learner 4 (entries 1-3).
    /// Node 3 led term 2 and appended the joint configuration {1,2,3}+{1,2,3,4} at index 5,
    /// uncommitted; node 1 led term 3 without it and replicated its first entry (3-1-4) only to
    /// learner 4, then lost its data (voting suspended); node 2 holds the committed prefix.
    static func newestLogOnALearner(config: EngineConfig = .testing()) -> ManualCluster {
        let cluster = ManualCluster(ids: [], config: config)
        let prefix = [
            TestEntry(logID: lid(0, 0, 1), payload: .membership(membership([1, 2, 3], learners: [4]))),
            TestEntry(logID: lid(1, 1, 2), payload: .blank), TestEntry(logID: lid(1, 1, 3), payload: .command("a")),
        ]
        let committed = prefix.last!.logID
        let joint = TestMembership(
            config: MembershipConfig(voterSets: [VoterSet([1, 2, 3]), VoterSet([1, 2, 3, 4])]),
            addresses: [1: "node-1", 2: "node-2", 3: "node-3", 4: "node-4"])
        cluster.addNode(1)
        cluster.restart(1, votingSuspended: true)
        cluster.addNode(2, storedLog: prefix, vote: .leader(LeaderID(term: 3, nodeID: 1)), committed: committed)
        cluster.addNode(
            3, storedLog: prefix + [TestEntry(logID: lid(2, 3, 4), payload: .blank), TestEntry(logID: lid(2, 3, 5), payload: .membership(joint))],
            vote: .leader(LeaderID(term: 2, nodeID: 3)), committed: committed)
        cluster.addNode(
            4, storedLog: prefix + [TestEntry(logID: lid(3, 1, 4), payload: .blank)], vote: .leader(LeaderID(term: 3, nodeID: 1)), committed: committed)
        return cluster
    }
}
