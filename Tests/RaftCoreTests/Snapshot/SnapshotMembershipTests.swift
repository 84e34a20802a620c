import Testing
@testable import RaftCore

/// Field lesson 11: once the entry carrying the membership is purged, the snapshot carries it.
@Suite("Snapshot: membership across compactions")
struct SnapshotMembershipTests {
    @Test func membershipIsRecoveredFromTheSnapshotAfterTwoCompactions() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        let expected = cluster[1].committedMembership
        #expect(expected.config == MembershipConfig(voters: [1, 2, 3], learners: [4]))

        cluster.isolated = [3]
        for round in 0..<2 {
            try cluster.propose(["a\(round)", "b\(round)"], on: 1)
            cluster.stabilize()
            cluster.compact(1)
            cluster.compact(2)
        }
        for id: NodeID in [1, 2] {
            #expect(cluster.nodes[id]!.storedLog.allSatisfy { $0.membership == nil }, "node \(id): no membership entry left")
            #expect(cluster[id].lastPurgedLogID!.index > expected.logID!.index)
            #expect(cluster[id].snapshot?.lastMembership == expected)
        }

        for id: NodeID in [1, 2] {
            cluster.restart(id)
            #expect(cluster[id].effectiveMembership == expected, "node \(id) after restart")
            #expect(cluster[id].committedMembership == expected, "node \(id) after restart")
        }

        // Whoever leads now seeds lagging node 3 with the snapshot, membership included.
        cluster.isolated = []
        cluster.run(for: .seconds(1))
        let leader = try #require(cluster.leaders.first)
        try cluster.propose(["c"], on: leader)
        cluster.stabilize()
        #expect(cluster.deliveredMessages(from: leader, to: 3).contains { $0.installSnapshotRequest != nil })
        #expect(cluster[3].committedMembership == expected)
        #expect(cluster.appliedCommands(3) == ["a0", "b0", "a1", "b1", "c"])
        cluster.restart(3)
        #expect(cluster[3].effectiveMembership == expected)
    }
}
