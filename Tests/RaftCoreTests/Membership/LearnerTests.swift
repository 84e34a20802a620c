import Testing
@testable import RaftCore

/// Learners receive the log but never count: not for commit, not for elections (field lessons
/// 7 and 10). Promotion and demotion go through joint consensus.
@Suite("Membership: learners")
struct LearnerTests {
    @Test func addingALearnerTakesOneEntryAndTheLearnerReceivesTheLog() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        cluster.addNode(4)
        let before = cluster[1].lastLogID!

        try cluster.changeMembership(.addLearners([4: "node-4"]), on: 1, token: 3)
        let entry = try #require(cluster[1].effectiveMembership.logID)
        #expect(entry.index == before.index + 1)
        #expect(cluster[1].effectiveMembership.config == MembershipConfig(voters: [1, 2, 3], learners: [4]))
        cluster.stabilize()

        #expect(cluster[1].lastLogID == entry, "a single entry, no joint step")
        #expect(cluster.replies(1, token: 3) == [.membershipChange(.success(entry))])
        #expect(cluster[4].serverState == .learner)
        #expect(cluster[4].lastLogID == entry)
        try cluster.propose(["b"], on: 1)
        cluster.stabilize()
        #expect(cluster.appliedCommands(4) == ["a", "b"])
    }

    @Test func learnerAcknowledgementsNeverCountTowardCommit() throws {
        // Two voters and two learners: if learners counted, 1 + 3 + 4 would be a majority of four.
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2])
        try cluster.addLearners([3, 4], via: 1)
        let proposal = try #require(try cluster.propose(["x"], on: 1))

        cluster.stabilize(holding: [2])
        #expect(cluster[3].lastLogID == proposal)
        #expect(cluster[4].lastLogID == proposal)
        #expect(cluster[1].committed.indexOrZero < proposal.index)
        #expect(cluster.appliedCommands(1).isEmpty)

        cluster.stabilize()
        #expect(cluster[1].committed == proposal)
        #expect(cluster.appliedCommands(1) == ["x"])
    }

    @Test func isolatedLearnerDoesNotBlockReplicationToVoters() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        cluster.isolated = [4]
        try cluster.propose(["a", "b"], on: 1)
        cluster.stabilize()
        for id: NodeID in [1, 2, 3] { #expect(cluster.appliedCommands(id) == ["a", "b"], "node \(id)") }
        #expect(cluster.appliedCommands(4).isEmpty)
    }

    /// Field lesson 7: a learner outside the joint configuration does not block replication
    /// to voters, nor the change itself.
    @Test func lesson7_learnerOutsideTheJointConfigDoesNotBlockTheChange() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3, 4])
        try cluster.addLearners([5], via: 1)
        cluster.isolated = [5]
        try cluster.changeMembership(.removeVoters([4]), on: 1, retainRemovedVoters: false, token: 71)
        cluster.stabilize()
        #expect(cluster.replies(1, token: 71).count == 1)
        #expect(cluster[1].committedMembership.config.voterSets == [VoterSet([1, 2, 3])])
        #expect(cluster[1].committedMembership.config.learners == [5])
        try cluster.propose(["after"], on: 1)
        cluster.stabilize()
        for id: NodeID in [1, 2, 3] { #expect(cluster.appliedCommands(id) == ["after"], "node \(id)") }
    }

    @Test func learnerNeverCampaigns() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        let voteBefore = cluster[4].vote
        cluster.isolated = [1, 2, 3]
        cluster.run(for: .seconds(2), step: .milliseconds(50))
        #expect(cluster[4].serverState == .learner)
        #expect(!cluster.events(4).contains { if case .becameCandidate = $0 { true } else { false } })
        cluster.with(4) { $0.triggerElection() }
        #expect(cluster.inFlightMessages(from: 4).isEmpty)
        #expect(cluster[4].vote == voteBefore, "never raised its own term")
        #expect(cluster[4].nextDeadline == nil, "no election timer armed")
    }

    @Test func candidateDoesNotCountALearnersVote() throws {
        let config = EngineConfig.testing { $0.preVote = false }
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3], config: config)
        try cluster.addLearners([4], via: 1)
        cluster.isolated = [1, 3]
        cluster.with(2) { $0.triggerElection() }
        let request = try #require(cluster.inFlightMessages(from: 2).compactMap(\.voteRequest).first)
        #expect(cluster[2].serverState == .candidate)
        #expect(!cluster.inFlight.contains { $0.from == 2 && $0.to == 4 }, "learners are not asked")

        func grant(from voter: NodeID) {
            let response = VoteResponse(vote: request.vote, granted: true, isPreVote: false, requestTerm: request.vote.term, lastLogID: cluster[voter].lastLogID, rpcID: request.rpcID)
            cluster.inject(.voteResponse(response), from: voter, to: 2)
        }
        grant(from: 4)
        #expect(cluster[2].serverState == .candidate, "a learner's grant is no vote")
        grant(from: 3)
        #expect(cluster[2].isLeader)
    }

    @Test func promotedLearnerBecomesAVoterThatCounts() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2])
        try cluster.addLearners([3], via: 1)
        try cluster.changeMembership(.addVoterIDs([3]), on: 1, token: 1)
        cluster.stabilize()
        #expect(cluster[1].committedMembership.config == MembershipConfig(voters: [1, 2, 3]))
        #expect(cluster[3].serverState == .follower)
        #expect(cluster.replies(1, token: 1).count == 1)

        // {1, 3} is now a majority: 2 is no longer needed to commit.
        let proposal = try #require(try cluster.propose(["x"], on: 1))
        cluster.stabilize(holding: [2])
        #expect(cluster[1].committed == proposal)
    }

    /// Regression: demoting a voter used to build a joint configuration listing the node both
    /// as a voter of the old set and as a learner, which tripped a precondition and crashed.
    @Test func demotedVoterBecomesALearnerThatStillReceivesTheLog() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.changeMembership(.demoteVoters([3]), on: 1, token: 2)
        let joint = cluster[1].effectiveMembership.config
        #expect(joint.voterSets == [VoterSet([1, 2, 3]), VoterSet([1, 2])])
        #expect(joint.isVoter(3), "3 votes in the old set until the joint config is left")
        cluster.stabilize()

        let final = try #require(cluster[1].committedMembership.logID)
        #expect(cluster[1].committedMembership.config == MembershipConfig(voters: [1, 2], learners: [3]))
        #expect(cluster.replies(1, token: 2) == [.membershipChange(.success(final))])
        #expect(cluster[3].serverState == .learner)
        #expect(cluster[3].effectiveMembership.membership.address(of: 3) == "node-3")
        try cluster.propose(["y"], on: 1)
        cluster.stabilize()
        #expect(cluster.appliedCommands(3) == ["y"])
    }
}
