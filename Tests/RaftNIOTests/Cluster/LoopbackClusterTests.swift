import Foundation
import Raft
import RaftNIO
import Testing

/// Clusters of real nodes talking over real TCP sockets on 127.0.0.1.
@Suite("RaftNIO: clusters over loopback")
struct LoopbackClusterTests {
    @Test(arguments: [3, 5])
    func electsALeaderAndReplicatesWrites(size: Int) async throws {
        let ids = (1...NodeID(size)).map { $0 }
        let cluster = try await NIOCluster.started(ids)
        for index in 0..<20 {
            try await cluster.write(.put(key: "k\(index % 4)", value: "v\(index)"))
        }
        let leader = try await cluster.leader()
        let last = leader.metrics.lastApplied!.index
        try await cluster.waitApplied(last)
        for id in ids {
            #expect(await cluster.stateMachine(id).value(forKey: "k3") == "v19", "node \(id)")
        }
        // Every follower is replicating, none lags behind in probe mode.
        #expect(leader.metrics.replication.count == size - 1)
        let statistics = await cluster.server(leader.id).statistics
        #expect(statistics.closures[.badFrame] == nil)
        await cluster.shutdown()
    }
}
