import Foundation
import Raft
import RaftCore
import RaftNIO
import RaftTesting
import Testing

/// Network faults between real nodes, injected by a proxy on every link.
@Suite("RaftNIO: partitions through fault proxies")
struct PartitionTests {
    /// Writes to the isolated leader fail; the majority elects a new one; after healing the old
    /// leader follows and catches up, with nothing lost.
    @Test(arguments: [ProxyFault.discard, ProxyFault.close])
    func anIsolatedLeaderIsReplacedAndRejoinsAfterHealing(fault: ProxyFault) async throws {
        let (cluster, links) = try await NIOCluster.proxied([1, 2, 3])
        try await cluster.write(.put(key: "before", value: "1"))
        let old = try await cluster.leader()
        links.isolate(old.id, with: fault)

        _ = try await cluster.leader(excluding: [old.id])
        try await cluster.write(.put(key: "during", value: "2"), excluding: [old.id])
        let successor = try await cluster.leader(excluding: [old.id])
        // The old leader lost contact with a quorum and stepped down (check-quorum).
        try await old.wait(until: MetricsCondition("stepped down") { !$0.isLeader }, timeout: .seconds(10))

        links.healAll()
        try await cluster.waitForValue("2", at: "during", on: [old.id])
        #expect(await cluster.stateMachine(old.id).value(forKey: "before") == "1")
        #expect(!old.metrics.isLeader || successor.metrics.currentTerm < old.metrics.currentTerm)
        links.stop()
        await cluster.shutdown()
    }

    /// Only the leader's requests are lost (its followers' requests to it still arrive): the
    /// followers time out and elect a new leader; after healing everyone agrees.
    @Test func aOneWayPartitionFromTheLeaderIsSurvived() async throws {
        let (cluster, links) = try await NIOCluster.proxied([1, 2, 3])
        let old = try await cluster.leader()
        for peer: NodeID in [1, 2, 3] where peer != old.id { links.link(old.id, peer).set(.discard, for: .toServer) }
        _ = try await cluster.leader(excluding: [old.id])
        try await cluster.write(.put(key: "k", value: "v"), excluding: [old.id])
        links.healAll()
        try await cluster.waitForValue("v", at: "k", on: [1, 2, 3])
        links.stop()
        await cluster.shutdown()
    }

    @Test func delayedLinksStillCommit() async throws {
        let (cluster, links) = try await NIOCluster.proxied([1, 2, 3])
        for proxy in links.links.values { proxy.set(.delay(.milliseconds(20))) }
        for index in 0..<5 { try await cluster.write(.put(key: "k\(index)", value: "slow")) }
        try await cluster.waitForValue("slow", at: "k4", on: [1, 2, 3])
        links.stop()
        await cluster.shutdown()
    }

    /// A snapshot transfer whose connection drops half-way resumes on a fresh connection from
    /// where the follower stands: about one snapshot's worth of bytes crosses the link, not two.
    @Test func aSnapshotTransferResumesAfterADroppedConnection() async throws {
        let config = NIOCluster.fastConfig {
            $0.engine.snapshotPolicy = .everyAppliedEntries(50)
            $0.engine.logsKeptAfterSnapshot = 1
            $0.engine.purgeBatchSize = 1
            $0.snapshotChunkSize = 8 << 10
            $0.snapshotChunkTimeout = .seconds(3)
        }
        let (cluster, links) = try await NIOCluster.proxied([1, 2, 3], config: config)
        let leader = try await cluster.leader()
        let follower: NodeID = leader.id == 3 ? 2 : 3
        links.isolate(follower, with: .close)
        let value = String(repeating: "s", count: 2000)
        for index in 0..<100 { try await cluster.write(.put(key: "key-\(index)", value: value), excluding: [follower]) }
        try await leader.wait(until: MetricsCondition("log purged past 60") { $0.purged.indexOrZero > 60 }, timeout: .seconds(15))
        let snapshotBytes = 100 * 2000

        // Slow the leader's link so the transfer takes a while, then heal everything else.
        links.healAll()
        let link = links.link(leader.id, follower)
        let before = link.statistics.forwarded[.toServer] ?? 0
        link.set(.delay(.milliseconds(15)), for: .toServer)
        let deadline = ContinuousClock.now + .seconds(10)
        while (link.statistics.forwarded[.toServer] ?? 0) - before < snapshotBytes * 2 / 5, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        link.dropConnections()
        link.heal()

        let node = await cluster.node(follower)
        try await cluster.waitForValue(value, at: "key-99", on: [follower], timeout: .seconds(20))
        #expect(node.metrics.snapshot != nil)
        let sent = (link.statistics.forwarded[.toServer] ?? 0) - before
        #expect(sent < snapshotBytes * 3 / 2, "\(sent) bytes crossed the link for a \(snapshotBytes)-byte snapshot")
        links.stop()
        await cluster.shutdown()
    }
}

extension PartitionTests {
    /// Five nodes: the leader and one follower are cut off together; the three others form a
    /// majority, elect a leader and commit; after healing the minority catches up.
    @Test func aFiveNodeClusterSurvivesLosingTheLeaderAndAFollower() async throws {
        let ids: [NodeID] = [1, 2, 3, 4, 5]
        let (cluster, links) = try await NIOCluster.proxied(ids)
        let old = try await cluster.leader()
        let companion = ids.first { $0 != old.id }!
        let minority: Set<NodeID> = [old.id, companion]
        // Cut every link between the minority and the majority (the minority still talk).
        for (pair, proxy) in links.links where minority.contains(pair[0]) != minority.contains(pair[1]) { proxy.set(.discard) }
        try await cluster.write(.put(key: "majority", value: "yes"), excluding: minority)
        // Two of five are no quorum: the old leader steps down (check-quorum).
        try await old.wait(until: MetricsCondition("stepped down") { !$0.isLeader }, timeout: .seconds(10))
        links.healAll()
        try await cluster.waitForValue("yes", at: "majority", on: ids)
        links.stop()
        await cluster.shutdown()
    }
}
