import Testing
@testable import RaftCore

/// Voter changes go through joint consensus (Raft §6): old → joint [old, new] → new, each step
/// a log entry that takes effect when appended, and decisions in the joint step need a quorum
/// of both voter sets.
@Suite("Membership: joint consensus")
struct JointConsensusTests {
    /// The membership entries of `id`'s stored log, in order.
    private func membershipEntries(_ cluster: ManualCluster, _ id: NodeID) -> [(LogID, MembershipConfig)] {
        cluster.nodes[id]!.storedLog.compactMap { entry in entry.membership.map { (entry.logID, $0.config) } }
    }

    @Test func voterChangeGoesThroughJointConfigThenFinalConfigEachAsALogEntry() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        let before = cluster[1].lastLogID!

        try cluster.changeMembership(.addVoterIDs([4]), on: 1, token: 11)
        // The joint entry is appended at once and is the leader's effective configuration.
        let joint = try #require(cluster[1].effectiveMembership.logID)
        #expect(joint.index == before.index + 1)
        #expect(cluster[1].effectiveMembership.config.voterSets == [VoterSet([1, 2, 3]), VoterSet([1, 2, 3, 4])])
        #expect(cluster[1].committedMembership.config.isJoint == false)

        cluster.stabilize()
        let entries = membershipEntries(cluster, 1)
        #expect(entries.count == 4, "initial, learner, joint, final")
        #expect(entries[2].0 == joint)
        #expect(entries[2].1.voterSets == [VoterSet([1, 2, 3]), VoterSet([1, 2, 3, 4])])
        #expect(entries[3].0.index == joint.index + 1)
        #expect(entries[3].1 == MembershipConfig(voters: [1, 2, 3, 4]))
        for id: NodeID in [1, 2, 3, 4] {
            #expect(cluster[id].committedMembership.logID == entries[3].0, "node \(id)")
            #expect(cluster[id].committedMembership.config == MembershipConfig(voters: [1, 2, 3, 4]), "node \(id)")
        }
        #expect(cluster.replies(1, token: 11) == [.membershipChange(.success(entries[3].0))])
        #expect(cluster[4].serverState == .follower)
    }

    @Test func followerUsesJointConfigAsSoonAsItAppendsItBeforeItCommits() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        let committedBefore = cluster[2].committedMembership

        try cluster.changeMembership(.addVoterIDs([4]), on: 1)
        cluster.deliver(from: 1, to: 2)

        #expect(cluster[2].effectiveMembership.config.isJoint)
        #expect(cluster[2].effectiveMembership.logID == cluster[1].effectiveMembership.logID)
        #expect(cluster[2].committedMembership == committedBefore, "not committed yet, yet already in force")
    }

    @Test func jointEntryDoesNotCommitWithAMajorityOfTheNewSetAlone() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4, 5], via: 1)

        try cluster.changeMembership(.replaceVoters([1, 4, 5]), on: 1)
        let joint = try #require(cluster[1].effectiveMembership.logID)
        // 1, 4 and 5 (all of the new set) hold the joint entry; 2 and 3 do not answer yet.
        cluster.stabilize(holding: [2, 3])
        for id: NodeID in [4, 5] { #expect(cluster[id].lastLogID == joint, "node \(id)") }
        #expect(cluster[1].committed.indexOrZero < joint.index, "old set {1,2,3} has only the leader")
        #expect(cluster[1].lastLogID == joint, "the final configuration waits for the joint one")

        // One more voter of the old set makes both quorums.
        cluster.stabilize(holding: [3])
        #expect(cluster[1].committed.indexOrZero >= joint.index)
        #expect(cluster[1].effectiveMembership.config == MembershipConfig(voters: [1, 4, 5], learners: []))
    }

    @Test func finalConfigCommitsWithTheNewSetOnly() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4, 5], via: 1)
        try cluster.changeMembership(.replaceVoters([1, 4, 5]), on: 1, token: 5)
        // The joint entry needs 2 or 3; once it committed, 2 and 3 are no longer needed.
        cluster.stabilize(holding: [3])
        let final = try #require(cluster[1].effectiveMembership.logID)
        #expect(cluster[1].effectiveMembership.config.isJoint == false)
        cluster.isolated = [2, 3]
        cluster.stabilize()
        #expect(cluster[1].committedMembership.logID == final)
        #expect(cluster.replies(1, token: 5) == [.membershipChange(.success(final))])
        try cluster.propose(["after"], on: 1)
        cluster.stabilize()
        #expect(cluster.appliedCommands(4) == ["after"])
    }
}
