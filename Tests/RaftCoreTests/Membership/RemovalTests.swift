import Testing
@testable import RaftCore

/// Removing nodes, the leader included (field lesson 15).
@Suite("Membership: removing nodes")
struct RemovalTests {
    @Test func removedFollowerStopsReceivingAppends() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.changeMembership(.removeVoters([3]), on: 1)
        cluster.stabilize()
        let removedAt = cluster[3].lastLogID
        #expect(cluster[1].committedMembership.config == MembershipConfig(voters: [1, 2]))
        #expect(cluster[1].replication[3] == nil)

        try cluster.propose(["a"], on: 1)
        cluster.with(1) { $0.triggerHeartbeat() }
        #expect(cluster.inFlightMessages(to: 3).isEmpty)
        cluster.stabilize()
        #expect(cluster[3].lastLogID == removedAt)
        #expect(cluster.appliedCommands(2) == ["a"])
    }

    @Test(arguments: [true, false])
    func removedVoterIsKeptAsLearnerOnlyWhenRetained(retain: Bool) throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.changeMembership(.removeVoters([3]), on: 1, retainRemovedVoters: retain, token: 1)
        cluster.stabilize()

        let expected = MembershipConfig(voters: [1, 2], learners: retain ? [3] : [])
        let final = try #require(cluster[1].committedMembership.logID)
        #expect(cluster[1].committedMembership.config == expected)
        #expect(cluster[1].committedMembership.membership.address(of: 3) == (retain ? "node-3" : nil))
        #expect(cluster.replies(1, token: 1) == [.membershipChange(.success(final))])
        #expect((cluster[1].replication[3] != nil) == retain)

        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        #expect(cluster.appliedCommands(3) == (retain ? ["a"] : []))
        if retain { #expect(cluster[3].serverState == .learner) }
    }

    @Test func replacingVotersWithRetainKeepsEveryRemovedVoterAsLearner() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        try cluster.changeMembership(.replaceVoters([1, 2, 4]), on: 1, retainRemovedVoters: true)
        cluster.stabilize()
        #expect(cluster[1].committedMembership.config == MembershipConfig(voters: [1, 2, 4], learners: [3]))
    }

    @Test func removedLeaderLeadsUntilFinalConfigCommitsThenHandsOver() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.changeMembership(.removeVoters([1]), on: 1, token: 9)

        // Joint entry out and acknowledged: the final configuration (without 1) is appended.
        cluster.deliverRound()
        cluster.deliverRound()
        let final = try #require(cluster[1].effectiveMembership.logID)
        #expect(cluster[1].effectiveMembership.config == MembershipConfig(voters: [2, 3]))
        #expect(cluster[1].isLeader, "still leading while the final configuration is uncommitted")
        let lateWrite = try #require(try cluster.propose(["while-leaving"], on: 1))

        // The final configuration commits: followers learn it, one is told to campaign.
        cluster.deliverRound()
        cluster.deliverRound()
        #expect(cluster[1].isLeader == false)
        #expect(cluster.events(1).contains(.steppedDown(reason: .removedFromMembership)))
        #expect(cluster.replies(1, token: 9) == [.membershipChange(.success(final))])
        let handOff = cluster.inFlight.filter { $0.from == 1 && $0.message.timeoutNowRequest != nil }
        #expect(handOff.count == 1)

        cluster.stabilize()
        let newLeaders = cluster.leaders
        #expect(newLeaders.count == 1 && newLeaders.first != 1)
        #expect(newLeaders.first == handOff.first?.to)
        // No longer a member and following no leader: a distinct answer, so a client does not
        // retry here forever.
        #expect(throws: ProposeError.forwardToLeader(ForwardToLeader(leaderID: nil, notAMember: true))) {
            try cluster.propose(["too-late"], on: 1)
        }
        // The write accepted while leaving is not lost.
        for id: NodeID in [2, 3] {
            #expect(cluster[id].committed.indexOrZero >= lateWrite.index, "node \(id)")
            #expect(cluster.appliedCommands(id) == ["while-leaving"], "node \(id)")
        }
        #expect(cluster[1].nextDeadline == nil, "a removed node never campaigns")
    }

    @Test func removedLeaderRetainedAsLearnerLearnsTheNewLeader() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.changeMembership(.removeVoters([1]), on: 1, retainRemovedVoters: true)
        cluster.stabilize()
        let newLeader = try #require(cluster.leaders.first)
        #expect(newLeader != 1)
        cluster.with(newLeader) { $0.triggerHeartbeat() }
        cluster.stabilize()
        #expect(cluster[1].serverState == .learner)
        #expect(throws: ProposeError.forwardToLeader(ForwardToLeader(leaderID: newLeader))) {
            try cluster.propose(["x"], on: 1)
        }
    }
}
