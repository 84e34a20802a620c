import Raft
import RaftTesting
import Testing

/// Snapshots every 1,000 applied entries; after each, the log is purged up to it but for
/// the last 100 entries (for followers a little behind), in batches of at least 100.
func compactingConfig() -> RaftConfig {
    var config = RaftConfig()
    config.engine.snapshotPolicy = .everyAppliedEntries(1000)
    config.engine.logsKeptAfterSnapshot = 100
    config.engine.purgeBatchSize = 100
    config.snapshotChunkSize = 16 << 10
    return config
}

/// With automatic snapshots off, an operator (or a schedule) compacts by hand: build a
/// snapshot, then purge what it covers.
func compactNow(_ node: RaftNode<KVTypes>) async throws {
    let applied = node.metrics.appliedIndex
    node.triggerSnapshot()
    try await node.wait(until: .snapshot(atLeast: applied), timeout: .seconds(30))
    node.purgeLog(upTo: applied)
    try await node.wait(until: .purged(atLeast: applied), timeout: .seconds(30))
}

extension GuideSuites {
    @Suite("Guide: Snapshots and compaction")
    struct SnapshotsAndCompactionTests {
        @Test func theLogIsCompactedAndALaggingFollowerCatchesUpFromASnapshot() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let router = InProcessRouter<KVTypes>()
                var nodes: [NodeID: RaftNode<KVTypes>] = [:]
                var machines: [NodeID: MemoryKVStateMachine] = [:]
                for id: NodeID in 1...3 {
                    machines[id] = MemoryKVStateMachine()
                    nodes[id] = try await RaftNode.start(
                        id: id, config: withGenerousTimeouts(compactingConfig()), logStore: MemoryLogStore<KVTypes>(), stateMachine: machines[id]!,
                        network: router.network(for: id))
                    router.register(nodes[id]!)
                }
                try await nodes[1]!.initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
                try await nodes[1]!.wait(until: .state(.leader), timeout: .seconds(10))

                // Node 3 falls behind while the others write past two snapshots.
                router.isolate(3)
                let results = await nodes[1]!.writeMany((0..<2500).map { .put(key: "key-\($0 % 50)", value: "value-\($0)") })
                for result in results { _ = try result.get() }
                let leader = try await nodes[1]!.wait(until: .purged(atLeast: 1900), timeout: .seconds(30))
                #expect(leader.snapshot.indexOrZero >= 2000)

                // Back in touch, it needs entries the leader no longer has: it is sent the snapshot
                // in chunks, installs it, and then takes the entries after it.
                let everything = try await nodes[1]!.ensureLinearizable().indexOrZero
                router.healAll()
                try await nodes[3]!.wait(until: .appliedIndex(atLeast: everything), timeout: .seconds(30))
                #expect(nodes[3]!.metrics.snapshot.indexOrZero >= 2000)
                #expect(machines[3]!.value(forKey: "key-49") == "value-2499")

                // Compacting by hand on a follower.
                try await nodes[2]!.wait(until: .appliedIndex(atLeast: everything), timeout: .seconds(30))
                try await compactNow(nodes[2]!)
                #expect(nodes[2]!.metrics.purged.indexOrZero >= everything)
                for node in nodes.values { await node.shutdown() }
            }
        }
    }
}
