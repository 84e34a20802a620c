import Testing
@testable import RaftCore

@Suite("Basic cluster scenarios")
struct BasicClusterTests {
    @Test func initializedNodeBecomesLeaderOfThreeAndReplicatesWrites() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        #expect(cluster.leaders == [1])
        #expect(cluster[2].currentLeader == 1)
        #expect(cluster[3].currentLeader == 1)
        try cluster.propose(["a", "b"], on: 1)
        cluster.stabilize()
        for id: NodeID in [1, 2, 3] {
            #expect(cluster.appliedCommands(id) == ["a", "b"], "node \(id)")
            #expect(cluster[id].committed == cluster[1].lastLogID)
        }
    }

    @Test func singleNodeClusterElectsItselfAndCommitsAlone() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1])
        #expect(cluster.leaders == [1])
        try cluster.propose(["x"], on: 1)
        cluster.stabilize()
        #expect(cluster.appliedCommands(1) == ["x"])
    }
}
