import Raft
import RaftTesting
import Testing

/// Settings for nodes in different regions, about 80 ms apart: the election timeout is 10-20
/// round trips, heartbeats come several times per election timeout, and the lease keeps its
/// margin below the election timeout for clock drift.
func crossRegionConfig() -> RaftConfig {
    var config = RaftConfig()
    config.engine.heartbeatInterval = .milliseconds(300)
    config.engine.electionTimeoutMin = .milliseconds(1500)
    config.engine.electionTimeoutMax = .milliseconds(3000)
    config.engine.leaseDuration = .milliseconds(1200)
    config.rpcTimeout = .seconds(2)
    // A round trip of 80 ms at 1 GB/s holds 80 MB: allow more bytes in flight per follower.
    config.engine.maxInflightBytes = 128 << 20
    return config
}

/// Writes a batch of commands with one call: one log append and one message per follower for
/// all of them, and one hand-off back to the caller.
func writeBatch(_ node: RaftNode<KVTypes>, _ batch: [(key: String, value: String)]) async -> Int {
    let results = await node.writeMany(batch.map { KVCommand.put(key: $0.key, value: $0.value) })
    return results.filter { (try? $0.get()) != nil }.count
}

extension GuideSuites {
    @Suite("Guide: Tuning")
    struct TuningTests {
        @Test func aClusterOnOneThreadWithCrossRegionTimeoutsWritesBatches() async throws {
            // A starved test run can still move leadership mid-batch: a fresh cluster is tried.
            try await retryingLeadershipChanges { try await runOneThreadCluster() }
        }

        func runOneThreadCluster() async throws {
            #expect(crossRegionConfig().validate() == nil)
            var unsafe = crossRegionConfig()
            unsafe.engine.leaseDuration = .milliseconds(1500)
            #expect(unsafe.validate()?.field == "engine.leaseDuration")

            // Every node's loop on one thread shared with the caller.
            let executor = RaftThreadExecutor()
            let router = InProcessRouter<KVTypes>(sendsWithoutWaiting: true)
            var nodes: [RaftNode<KVTypes>] = []
            for id: NodeID in 1...3 {
                let node = try await RaftNode.start(
                    id: id, config: crossRegionConfig(), logStore: MemoryLogStore<KVTypes>(), stateMachine: MemoryKVStateMachine(),
                    network: router.network(for: id), executor: executor)
                router.register(node)
                nodes.append(node)
            }
            try await nodes[0].initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
            try await nodes[0].wait(until: .state(.leader), timeout: .seconds(20))
            let leader = nodes[0]
            let written = await Task(executorPreference: executor) {
                await writeBatch(leader, (0..<100).map { (key: "key-\($0)", value: "value-\($0)") })
            }.value
            guard written == 100 else { throw RaftError<String>.outcomeUnknown(.leadershipLost) }
            for node in nodes { await node.shutdown() }
            executor.shutdown()
        }
    }
}
