import Raft
import RaftTesting
import Synchronization
import Testing

/// A state machine that takes `delay` for every apply.
final class SlowStateMachine: RaftStateMachine {
    let base = MemoryKVStateMachine()
    let delay: Duration
    init(delay: Duration) { self.delay = delay }
    func appliedState() async throws(StorageError) -> AppliedState<KVTypes> { try await base.appliedState() }
    func apply(_ entries: [Entry<KVTypes>]) async throws(StorageError) -> [KVResponse] {
        try? await Task.sleep(for: delay)
        return try await base.apply(entries)
    }
    func buildSnapshot() async throws(StorageError) -> Snapshot<KVTypes> { try await base.buildSnapshot() }
    func installSnapshot(_ snapshot: Snapshot<KVTypes>) async throws(StorageError) { try await base.installSnapshot(snapshot) }
    func currentSnapshot() async throws(StorageError) -> Snapshot<KVTypes>? { try await base.currentSnapshot() }
}

/// A log store whose appends become durable only after `delay` (a slow fsync).
final class SlowDiskLogStore: MemoryBackedLogStore {
    let base = MemoryLogStore<KVTypes>()
    let delay: Duration
    init(delay: Duration) { self.delay = delay }
    func append(_ entries: [Entry<KVTypes>], onDurable: @escaping LogFlushCallback) async throws(StorageError) {
        let delay = self.delay
        try await base.append(entries) { result in
            Task {
                try? await Task.sleep(for: delay)
                onDurable(result)
            }
        }
    }
}

@Suite("Runtime: slow disks and state machines", .serialized)
struct SlowComponentTests {
    func cluster(log: (NodeID) -> any RaftLogStorage<KVTypes>, stateMachine: (NodeID) -> any RaftStateMachine<KVTypes>) async throws -> (InProcessRouter<KVTypes>, [RaftNode<KVTypes>]) {
        let router = InProcessRouter<KVTypes>()
        var nodes: [RaftNode<KVTypes>] = []
        for id: NodeID in 1...3 {
            let node = try await RaftNode.start(id: id, config: TestCluster.fastConfig(), logStore: log(id), stateMachine: stateMachine(id), network: router.network(for: id), randomSeed: id)
            router.register(node)
            nodes.append(node)
        }
        try await nodes[0].initialize(Membership(voters: [1: "a", 2: "b", 3: "c"]))
        try await nodes[0].wait(until: .state(.leader), timeout: .seconds(5))
        return (router, nodes)
    }

    /// Heartbeats and votes never wait behind apply: a state machine slower than the election
    /// timeout does not cost the leader its leadership.
    @Test func slowStateMachineDoesNotCauseLeaderChanges() async throws {
        let (_, nodes) = try await cluster(log: { _ in MemoryLogStore<KVTypes>() }, stateMachine: { _ in SlowStateMachine(delay: .milliseconds(1500)) })
        let term = nodes[0].metrics.currentTerm
        let writes = Task { _ = await nodes[0].writeMany((0..<20).map { .put(key: "k\($0)", value: "v") }) }
        try await Task.sleep(for: .seconds(3))
        #expect(nodes[0].metrics.isLeader)
        #expect(nodes.allSatisfy { $0.metrics.currentTerm == term }, "no election happened")
        writes.cancel()
        for node in nodes { await node.shutdown() }
    }

    /// A follower whose disk is slower than the election timeout keeps following: it answers
    /// heartbeats at once, acknowledging only what is durable.
    @Test func slowFollowerDiskDoesNotCauseLeaderChanges() async throws {
        let (_, nodes) = try await cluster(log: { id -> any RaftLogStorage<KVTypes> in id == 1 ? MemoryLogStore<KVTypes>() : SlowDiskLogStore(delay: .milliseconds(1300)) }, stateMachine: { _ in MemoryKVStateMachine() })
        let term = nodes[0].metrics.currentTerm
        for index in 0..<2 { _ = try await nodes[0].write(.put(key: "k\(index)", value: "v")) }
        try await Task.sleep(for: .seconds(1))
        #expect(nodes[0].metrics.isLeader)
        #expect(nodes.allSatisfy { $0.metrics.currentTerm == term })
        for node in nodes { await node.shutdown() }
    }

    @Test func electionSwitchKeepsFollowersFromCampaigning() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        let others = [NodeID(1), 2, 3].filter { $0 != leader.id }
        for id in others { await cluster.node(id).setElectionEnabled(false) }
        try await Task.sleep(for: .milliseconds(50))
        await cluster.stop(leader.id)
        try await Task.sleep(for: cluster.config.engine.electionTimeoutMax * 2)
        for id in others { #expect(await cluster.node(id).metrics.isLeader == false) }
        for id in others { await cluster.node(id).setElectionEnabled(true) }
        _ = try await cluster.leader(excluding: [leader.id])
        await cluster.shutdownAll()
    }

    @Test func metricsStreamReportsChanges() async throws {
        let cluster = try await TestCluster.started([1])
        let node = await cluster.node(1)
        let stream = node.metricsUpdates
        let start = node.metrics.appliedIndex
        try await cluster.write(.put(key: "k", value: "v"))
        var sawWrite = false
        for await metrics in stream {
            if metrics.appliedIndex > start { sawWrite = true; break }
        }
        #expect(sawWrite)
        await cluster.shutdownAll()
    }
}
