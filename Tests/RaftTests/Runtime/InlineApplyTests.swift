import Raft
import RaftTesting
import Synchronization
import Testing

/// A state machine whose apply never blocks (so the loop applies inline) but whose snapshot
/// build is slow; it records any call that overlaps another.
final class OverlapCheckingStateMachine: RaftStateMachine {
    let base = MemoryKVStateMachine()
    let buildDelay: Duration
    private let state = Mutex<(busy: Bool, overlaps: Int, snapshotsBuilt: Int)>((false, 0, 0))

    init(buildDelay: Duration) { self.buildDelay = buildDelay }

    var applyNeverBlocks: Bool { true }
    var overlaps: Int { state.withLock { $0.overlaps } }
    var snapshotsBuilt: Int { state.withLock { $0.snapshotsBuilt } }

    private func enter() { state.withLock { if $0.busy { $0.overlaps += 1 }; $0.busy = true } }
    private func leave() { state.withLock { $0.busy = false } }

    func appliedState() async throws(StorageError) -> AppliedState<KVTypes> { try await base.appliedState() }
    func apply(_ entries: [Entry<KVTypes>]) async throws(StorageError) -> [KVResponse] {
        enter()
        defer { leave() }
        return try await base.apply(entries)
    }
    func buildSnapshot() async throws(StorageError) -> Snapshot<KVTypes> {
        enter()
        defer { leave() }
        try? await Task.sleep(for: buildDelay)
        state.withLock { $0.snapshotsBuilt += 1 }
        return try await base.buildSnapshot()
    }
    func installSnapshot(_ snapshot: Snapshot<KVTypes>) async throws(StorageError) {
        enter()
        defer { leave() }
        try await base.installSnapshot(snapshot)
    }
    func currentSnapshot() async throws(StorageError) -> Snapshot<KVTypes>? { try await base.currentSnapshot() }
}

@Suite("Runtime: inline apply next to the state-machine worker", .serialized)
struct InlineApplyTests {
    /// While a snapshot builds on the worker, the loop must not apply inline: the state machine
    /// sees one call at a time and every entry in order, and writes still complete.
    @Test func appliesWaitForASnapshotBuildingOnTheWorker() async throws {
        let router = InProcessRouter<KVTypes>(sendsWithoutWaiting: true)
        let config = TestCluster.fastConfig { $0.engine.snapshotPolicy = .everyAppliedEntries(25) }
        var nodes: [RaftNode<KVTypes>] = []
        var machines: [OverlapCheckingStateMachine] = []
        for id: NodeID in 1...3 {
            let machine = OverlapCheckingStateMachine(buildDelay: .milliseconds(30))
            // The defensive wrappers check order and exactly-once application.
            let checked = DefensiveChecks.wrap(logStore: MemoryLogStore<KVTypes>(), stateMachine: machine)
            #expect(checked.logStore.neverBlocks && checked.stateMachine.applyNeverBlocks, "the wrappers keep the inline paths")
            let node = try await RaftNode.start(
                id: id, config: config, logStore: checked.logStore, stateMachine: checked.stateMachine,
                network: router.network(for: id), randomSeed: id)
            router.register(node)
            nodes.append(node)
            machines.append(machine)
        }
        try await nodes[0].initialize(Membership(voters: [1: "a", 2: "b", 3: "c"]))
        try await nodes[0].wait(until: .state(.leader), timeout: .seconds(5))
        let cluster = nodes
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<8 {
                group.addTask {
                    for index in 0..<25 { try await writeThroughLeader(cluster, .put(key: "c\(client)", value: "\(index)")) }
                }
            }
            try await group.waitForAll()
        }
        let last = nodes.map(\.metrics.lastLogIndex).max()!
        for node in nodes { try await node.wait(until: .appliedIndex(atLeast: last), timeout: .seconds(10)) }
        for (position, machine) in machines.enumerated() {
            #expect(machine.overlaps == 0, "node \(position + 1): calls to the state machine overlapped")
            #expect(machine.snapshotsBuilt >= 2, "node \(position + 1) built snapshots while applying")
            #expect(machine.base.value(forKey: "c7") == "24")
        }
        for node in nodes { await node.shutdown() }
    }
}
