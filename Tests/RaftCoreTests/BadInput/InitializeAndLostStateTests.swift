import Testing
@testable import RaftCore

/// Invalid `initialize` calls, and a node that lost acknowledged state.
@Suite("Bad input: initialize and lost state")
struct InitializeAndLostStateTests {
    @Test func initializeTwiceReportsAlreadyInitialized() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        for id: NodeID in [1, 2] {
            let last = cluster[id].lastLogID
            let vote = cluster[id].vote
            #expect(throws: InitializeError.alreadyInitialized(lastLogID: last, vote: vote)) {
                try cluster.nodes[id]!.engine.initialize(membership([1, 2, 3]))
            }
            #expect(cluster[id].lastLogID == last)
        }
        #expect(cluster.leaders == [1])
    }

    @Test func initializeWithoutThisNodeAsVoterIsRefused() throws {
        let cluster = ManualCluster(ids: [1])
        #expect(throws: InitializeError.notAVoter(1)) { try cluster.nodes[1]!.engine.initialize(membership([2, 3], learners: [1])) }
        #expect(throws: InitializeError.notAVoter(1)) { try cluster.nodes[1]!.engine.initialize(membership([2, 3])) }
        cluster.process(1)
        #expect(cluster[1].isInitialized == false)
        #expect(cluster.nodes[1]!.storedLog.isEmpty)
        // Still pristine: a correct call works.
        try cluster.nodes[1]!.engine.initialize(membership([1]))
        cluster.stabilize()
        #expect(cluster[1].isLeader)
    }

    /// A wiped node restarted with its storage lost must rejoin its cluster: initializing it
    /// would write a first membership entry of its own under the id the cluster's first entry
    /// has. Refused, and the node stays pristine until the leader sends it the log.
    @Test func initializeOfANodeWithItsStorageLostIsRefused() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.addNode(3, recovered: RecoveredState(votingSuspended: true))
        #expect(throws: InitializeError.storageLost) { try cluster.nodes[3]!.engine.initialize(membership([3])) }
        cluster.process(3)
        #expect(cluster.nodes[3]!.storedLog.isEmpty)
        cluster.with(1) { $0.triggerHeartbeat() }
        cluster.stabilize()
        #expect(cluster.storedLogIDs(3) == cluster.storedLogIDs(1), "it received the cluster's log instead")
    }

    @Test func initializeWithAnInvalidMembershipIsRefused() throws {
        let cluster = ManualCluster(ids: [1])
        let joint = TestMembership(config: MembershipConfig(voterSets: [VoterSet([1]), VoterSet([1, 2])]), addresses: [1: "node-1", 2: "node-2"])
        #expect(throws: InitializeError.invalidMembership("the first membership must be uniform")) { try cluster.nodes[1]!.engine.initialize(joint) }
        let empty = TestMembership(config: MembershipConfig(voterSets: []))
        #expect(throws: InitializeError.self) { try cluster.nodes[1]!.engine.initialize(empty) }
        #expect(cluster[1].isInitialized == false)
    }

    /// A node whose storage lost acknowledged state (recovered with `votingSuspended`) neither
    /// grants votes nor campaigns until an operator resumes it; it still follows the leader.
    @Test func nodeWithSuspendedVotingNeverGrantsNorCampaignsUntilResumed() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        cluster.restart(3, votingSuspended: true)
        #expect(cluster[3].votingSuspended)
        #expect(cluster[3].nextDeadline == nil)

        // It catches up from the leader as usual.
        try cluster.propose(["b"], on: 1)
        cluster.stabilize()
        #expect(cluster[3].lastLogID == cluster[1].lastLogID)

        // A candidate with a better log and a higher term gets no vote, real or pre-vote.
        let lastLogID = cluster[1].lastLogID
        for (rpcID, isPreVote) in [(UInt64(71), true), (72, false)] {
            let request = VoteRequest(vote: Vote(term: 9, votedFor: 2), lastLogID: lastLogID, isPreVote: isPreVote, isLeadershipTransfer: true, rpcID: rpcID)
            cluster.inject(.vote(request), from: 2, to: 3)
        }
        let answers = cluster.inFlight.filter { $0.from == 3 && $0.to == 2 }.compactMap(\.message.voteResponse)
        #expect(answers.count == 2 && answers.allSatisfy { !$0.granted })
        #expect(cluster[3].vote.votedFor != 2)
        cluster.inFlight.removeAll()

        // It never campaigns, not on timeouts, not when told to, not when handed leadership.
        cluster.isolated = [1, 2]
        cluster.run(for: .seconds(1), step: .milliseconds(50))
        cluster.with(3) { $0.triggerElection() }
        cluster.inject(.timeoutNow(TimeoutNowRequest(vote: cluster[3].vote, lastLogID: lastLogID, rpcID: 73)), from: 1, to: 3)
        #expect(!cluster.events(3).contains { if case .becameCandidate = $0 { true } else { false } })
        #expect(cluster.inFlightMessages(from: 3).isEmpty)

        // Resumed, it votes and campaigns again.
        cluster.with(3) { $0.resumeVoting() }
        cluster.isolated = []
        cluster.inFlight.removeAll()
        let request = VoteRequest(vote: Vote(term: 20, votedFor: 2), lastLogID: lastLogID, isPreVote: false, rpcID: 74)
        cluster.inject(.vote(request), from: 2, to: 3)
        #expect(cluster.inFlightMessages(from: 3, to: 2).compactMap(\.voteResponse).first?.granted == true)
        cluster.isolated = [1, 2]
        cluster.inFlight.removeAll()
        cluster.run(for: .seconds(1), step: .milliseconds(50))
        #expect(cluster.events(3).contains { if case .becameCandidate = $0 { true } else { false } })
    }

    /// A node that lost its storage also lost the vote it promised, so it may acknowledge a
    /// leader it once voted against: until resumed, its acknowledgements count toward no
    /// quorum. With node 2 gone, leader 1 and suspended node 3 cannot commit or confirm a
    /// read; resumed, node 3 counts again.
    @Test func suspendedNodeCountsTowardNoQuorum() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        cluster.restart(3, votingSuspended: true)
        cluster.stabilize()
        cluster.isolated = [2]
        let committed = cluster[1].committed
        try cluster.propose(["b"], on: 1)
        cluster.with(1) { $0.requestRead(token: 9, policy: .readIndex) }
        cluster.stabilize()
        #expect(cluster[3].lastLogID == cluster[1].lastLogID, "it still replicates")
        #expect(cluster[1].committed == committed, "but does not help commit")
        #expect(cluster.replies(1, token: 9).isEmpty, "nor confirm a read")

        cluster.with(3) { $0.resumeVoting() }
        cluster.with(1) { $0.triggerHeartbeat() }
        cluster.stabilize()
        #expect(cluster[1].committed == cluster[1].lastLogID)
        #expect(cluster.appliedCommands(1) == ["a", "b"])
        #expect(cluster.replies(1, token: 9).count == 1)
    }
}
