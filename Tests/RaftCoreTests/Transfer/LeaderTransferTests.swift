import Testing
@testable import RaftCore

/// Leadership transfer: writes pause, the target is brought up to date, then told to campaign
/// at once with TimeoutNow; the transfer gives up after `transferTimeout`.
@Suite("Transfer: leadership transfer")
struct LeaderTransferTests {
    private func transfer(_ cluster: ManualCluster, from leader: NodeID, to target: NodeID, token: RequestToken?) throws {
        try cluster.with(leader) { try $0.transferLeadership(to: target, token: token) }
    }

    private func timeoutNows(_ cluster: ManualCluster, to target: NodeID) -> [TimeoutNowRequest] {
        cluster.inFlightMessages(from: nil, to: target).compactMap(\.timeoutNowRequest)
    }

    @Test func transferToAnUpToDateFollowerSendsTimeoutNowAndTheTargetWins() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        let oldTerm = cluster[1].vote.term

        try transfer(cluster, from: 1, to: 2, token: 4)
        let handOff = timeoutNows(cluster, to: 2)
        #expect(handOff.count == 1)
        #expect(handOff.first?.vote == cluster[1].vote)
        #expect(handOff.first?.lastLogID == cluster[1].lastLogID)

        cluster.stabilize()
        #expect(cluster.leaders == [2])
        #expect(cluster[2].vote.term == oldTerm + 1)
        #expect(cluster[1].currentLeader == 2)
        #expect(cluster.replies(1, token: 4) == [.leaderTransfer(.success(2))])
        try cluster.propose(["b"], on: 2)
        cluster.stabilize()
        #expect(cluster.appliedCommands(1) == ["a", "b"])
    }

    /// A node whose voting is suspended (it lost its storage) can never campaign: the leader
    /// learns it from the node's answers and refuses a transfer to it at once, and a transfer
    /// under way fails as soon as the target reports it, rather than at `transferTimeout`.
    @Test func transferToANodeWhoseVotingIsSuspendedIsRefusedAtOnce() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try transfer(cluster, from: 1, to: 3, token: 5)
        cluster.with(3) { $0._votingSuspended = true }
        cluster.with(1) { $0.triggerHeartbeat() }
        cluster.stabilize()
        #expect(cluster.replies(1, token: 5) == [.leaderTransfer(.failure(.targetVotingSuspended(3)))])
        #expect(cluster.leaders == [1])
        #expect(throws: LeaderTransferError.targetVotingSuspended(3)) { try transfer(cluster, from: 1, to: 3, token: 6) }
        // Another target is still fine.
        try transfer(cluster, from: 1, to: 2, token: 7)
        cluster.stabilize()
        #expect(cluster.leaders == [2])
    }

    @Test func targetWinsEvenThoughFollowersHeardFromTheLeaderRecently() throws {
        // Pre-vote and leader stickiness would refuse an ordinary campaign at this moment.
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.with(1) { $0.triggerHeartbeat() }
        cluster.stabilize()
        try transfer(cluster, from: 1, to: 3, token: nil)
        cluster.stabilize()
        #expect(cluster.leaders == [3])
    }

    @Test func proposalsDuringATransferAreRefused() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try transfer(cluster, from: 1, to: 2, token: nil)
        let last = cluster[1].lastLogID
        #expect(throws: ProposeError.transferringLeadership(to: 2)) { try cluster.propose(["x"], on: 1) }
        #expect(cluster[1].lastLogID == last)
    }

    @Test func transferToALearnerOrAnUnknownNodeIsRefused() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        #expect(throws: LeaderTransferError.targetNotVoter(4)) { try transfer(cluster, from: 1, to: 4, token: nil) }
        #expect(throws: LeaderTransferError.targetNotVoter(9)) { try transfer(cluster, from: 1, to: 9, token: nil) }
        #expect(cluster.inFlight.isEmpty)
        try cluster.propose(["still-writable"], on: 1)
    }

    @Test func transferWhileAnotherIsInProgressIsRefused() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try transfer(cluster, from: 1, to: 2, token: 1)
        #expect(throws: LeaderTransferError.transferInProgress(to: 2)) { try transfer(cluster, from: 1, to: 3, token: 2) }
        cluster.stabilize()
        #expect(cluster.leaders == [2])
        #expect(cluster.replies(1, token: 2).isEmpty)
    }

    @Test func transferOnAFollowerIsForwardedToTheLeader() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        #expect(throws: LeaderTransferError.forwardToLeader(ForwardToLeader(leaderID: 1))) { try transfer(cluster, from: 2, to: 3, token: nil) }
    }

    @Test func transferToItselfSucceedsAtOnce() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try transfer(cluster, from: 1, to: 1, token: 6)
        #expect(cluster.replies(1, token: 6) == [.leaderTransfer(.success(1))])
        try cluster.propose(["x"], on: 1)
    }

    @Test func transferThatTimesOutFailsAndRestoresWrites() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.isolated = [2]
        try transfer(cluster, from: 1, to: 2, token: 5)

        cluster.run(for: cluster.config.transferTimeout - .milliseconds(50))
        #expect(cluster.replies(1, token: 5).isEmpty)
        #expect(throws: ProposeError.transferringLeadership(to: 2)) { try cluster.propose(["x"], on: 1) }

        cluster.run(for: .milliseconds(100))
        #expect(cluster.replies(1, token: 5) == [.leaderTransfer(.failure(.timedOut))])
        #expect(cluster.leaders == [1])
        try cluster.propose(["after"], on: 1)
        cluster.stabilize()
        #expect(cluster.appliedCommands(3) == ["after"])
    }

    @Test func laggingTargetIsCaughtUpBeforeItIsToldToCampaign() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        for command in ["a", "b", "c"] {
            try cluster.propose([command], on: 1)
            cluster.stabilize(holding: [3])
        }
        #expect(cluster[3].lastLogID != cluster[1].lastLogID)

        try transfer(cluster, from: 1, to: 3, token: 8)
        #expect(timeoutNows(cluster, to: 3).isEmpty, "3 lacks entries: it could not win")
        var sawHandOff = false
        for _ in 0..<20 where !sawHandOff {
            cluster.deliverRound()
            if !timeoutNows(cluster, to: 3).isEmpty {
                sawHandOff = true
                #expect(cluster[3].lastLogID == cluster[1].lastLogID, "told to campaign only once caught up")
            }
        }
        #expect(sawHandOff)
        cluster.stabilize()
        #expect(cluster.leaders == [3])
        #expect(cluster.replies(1, token: 8) == [.leaderTransfer(.success(3))])
        #expect(cluster.appliedCommands(3) == ["a", "b", "c"])
    }

    /// Regression: a transfer whose target was demoted to learner went on (the target was
    /// still a node of the membership) and ended in a timeout, since learners never campaign.
    @Test func transferFailsWhenItsTargetStopsBeingAVoter() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize(holding: [3])
        try transfer(cluster, from: 1, to: 3, token: 2)
        try cluster.changeMembership(.demoteVoters([3]), on: 1)
        cluster.stabilize(holding: [3])
        #expect(cluster[1].effectiveMembership.config == MembershipConfig(voters: [1, 2], learners: [3]))
        #expect(cluster.replies(1, token: 2) == [.leaderTransfer(.failure(.targetNotVoter(3)))])
        try cluster.propose(["b"], on: 1)
    }

    @Test func transferFailsWhenItsTargetIsRemoved() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize(holding: [3])
        try transfer(cluster, from: 1, to: 3, token: 2)
        try cluster.changeMembership(.removeVoters([3]), on: 1)
        cluster.stabilize(holding: [3])
        #expect(cluster.replies(1, token: 2) == [.leaderTransfer(.failure(.targetNotVoter(3)))])
    }
}
