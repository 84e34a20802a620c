import Raft
import RaftTesting
import Synchronization
import Testing

/// A state machine whose first snapshot build fails.
final class FlakySnapshotStateMachine: RaftStateMachine {
    let base = MemoryKVStateMachine()
    let failures = Mutex(1)
    func appliedState() async throws(StorageError) -> AppliedState<KVTypes> { try await base.appliedState() }
    func apply(_ entries: [Entry<KVTypes>]) async throws(StorageError) -> [KVResponse] { try await base.apply(entries) }
    func buildSnapshot() async throws(StorageError) -> Snapshot<KVTypes> {
        let fail = failures.withLock { remaining in
            defer { remaining = max(0, remaining - 1) }
            return remaining > 0
        }
        if fail { throw StorageError(subject: .snapshot(id: nil), verb: .write, reason: "injected build failure") }
        return try await base.buildSnapshot()
    }
    func installSnapshot(_ snapshot: Snapshot<KVTypes>) async throws(StorageError) { try await base.installSnapshot(snapshot) }
    func currentSnapshot() async throws(StorageError) -> Snapshot<KVTypes>? { try await base.currentSnapshot() }
}

@Suite("Runtime: field lessons", .serialized)
struct FieldLessonRuntimeTests {
    /// Field lesson 4: a snapshot install racing with apply never moves the applied state
    /// backwards or skips (the defensive state machine wrapper would stop the node).
    @Test func lesson4_snapshotInstallRacingApplyKeepsAppliedMonotonic() async throws {
        let router = InProcessRouter<KVTypes>()
        let config = ReplicationIntegrationTests.snapshotConfig()
        var nodes: [NodeID: RaftNode<KVTypes>] = [:]
        for id: NodeID in 1...3 {
            let (log, stateMachine) = DefensiveChecks.wrap(logStore: MemoryLogStore<KVTypes>(), stateMachine: MemoryKVStateMachine())
            nodes[id] = try await RaftNode.start(id: id, config: config, logStore: log, stateMachine: stateMachine, network: router.network(for: id), randomSeed: id)
            router.register(nodes[id]!)
        }
        try await nodes[1]!.initialize(Membership(voters: [1: "a", 2: "b", 3: "c"]))
        try await nodes[1]!.wait(until: .state(.leader), timeout: .seconds(5))
        router.isolate(3)
        let all = nodes.keys.sorted().map { nodes[$0]! }
        for index in 0..<60 { try await writeThroughLeader(all, .put(key: "k\(index)", value: "v")) }
        try await nodes[1]!.wait(until: .purged(atLeast: 10), timeout: .seconds(5))
        router.healAll()
        // Writes keep flowing while the follower installs the snapshot and applies after it.
        for index in 60..<90 { try await writeThroughLeader(all, .put(key: "k\(index)", value: "v")) }
        try await nodes[3]!.wait(until: .appliedIndex(atLeast: all.map(\.metrics.lastLogIndex).max()!), timeout: .seconds(10))
        for node in nodes.values { #expect(node.metrics.runningState == .running) }
        for node in nodes.values { await node.shutdown() }
    }

    /// Field lesson 8: after a truncation, what the node holds (cache and store) matches the
    /// leader's log; no stale entry is applied.
    @Test func lesson8_truncatedEntriesNeverResurfaceFromACache() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let old = try await cluster.leader()
        cluster.router.isolate(old.id)
        // Uncommitted entries on the isolated leader, which will be replaced.
        let doomed = Task { _ = await old.writeMany((0..<5).map { .put(key: "doomed\($0)", value: "x") }) }
        let new = try await cluster.leader(excluding: [old.id])
        for index in 0..<5 { try await cluster.write(.put(key: "kept\(index)", value: "y")) }
        cluster.router.healAll()
        await doomed.value
        try await old.wait(until: .appliedIndex(atLeast: new.metrics.lastLogIndex), timeout: .seconds(10))
        let oldStore = await cluster.logStores[old.id]!
        let newStore = await cluster.logStores[new.id]!
        let last = new.metrics.lastLogIndex
        let oldEntries = try await oldStore.entries(in: 1..<(last + 1)).map(\.logID)
        let newEntries = try await newStore.entries(in: 1..<(last + 1)).map(\.logID)
        #expect(oldEntries == newEntries)
        #expect(await cluster.stateMachine(old.id).value(forKey: "doomed0") == nil)
        #expect(await cluster.stateMachine(old.id).value(forKey: "kept4") == "y")
        await cluster.shutdownAll()
    }

    /// Field lesson 9: a chunk with offset > 0 does not start a snapshot session, and the last
    /// data chunk completes the transfer without an empty closing chunk.
    @Test func lesson9_snapshotChunksMustStartAtZeroAndNeedNoEmptyLastChunk() async throws {
        let cluster = try await TestCluster.started([1, 2])
        let leader = try await cluster.leader()
        let follower = await cluster.node(leader.id == 1 ? 2 : 1)
        try await cluster.write(.put(key: "k", value: "v"))
        let snapshotState = await cluster.stateMachine(leader.id)
        let snapshot = try await snapshotState.buildSnapshot()
        let vote = leader.metrics.vote
        let stray = SnapshotChunk(vote: vote, meta: snapshot.meta, offset: 5, data: [1, 2, 3], isLast: false, rpcID: 900)
        #expect(await follower.installSnapshotChunk(stray) == .outOfOrder(expectedOffset: 0))
        let half = snapshot.data.count / 2
        let first = SnapshotChunk(vote: vote, meta: snapshot.meta, offset: 0, data: Array(snapshot.data[..<half]), isLast: false, rpcID: 901)
        #expect(await follower.installSnapshotChunk(first) == .accepted(nextOffset: half))
        let last = SnapshotChunk(vote: vote, meta: snapshot.meta, offset: half, data: Array(snapshot.data[half...]), isLast: true, rpcID: 901)
        let answer = await follower.installSnapshotChunk(last)
        guard case .installed = answer else { Issue.record("expected installed, got \(answer)"); return }
        await cluster.shutdownAll()
    }

    /// Field lesson 13: a snapshot transfer that times out is retried, with a per-chunk
    /// timeout rather than one deadline for the whole snapshot.
    @Test func lesson13_failedSnapshotTransferIsRetried() async throws {
        let config = ReplicationIntegrationTests.snapshotConfig()
        let cluster = try await TestCluster.started([1, 2, 3], config: config)
        let leader = try await cluster.leader()
        let lagging = [NodeID(1), 2, 3].first { $0 != leader.id }!
        cluster.router.isolate(lagging)
        for index in 0..<60 { try await cluster.write(.put(key: "k\(index)", value: "\(index)")) }
        try await leader.wait(until: .purged(atLeast: 10), timeout: .seconds(10))
        // Reachable but too slow: every chunk times out.
        cluster.router.heal(lagging)
        cluster.router.delay(to: lagging, by: .seconds(60))
        try await Task.sleep(for: .milliseconds(400))
        #expect(await cluster.node(lagging).metrics.snapshot == nil)
        cluster.router.healAll()
        try await cluster.node(lagging).wait(until: .appliedIndex(atLeast: leader.metrics.lastLogIndex), timeout: .seconds(15))
        #expect(await cluster.node(lagging).metrics.snapshot != nil)
        await cluster.shutdownAll()
    }

    /// Field lesson 19: replication progress does not revert when the set of replication
    /// targets is rebuilt by a membership change.
    @Test func lesson19_progressSurvivesAMembershipChange() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        for index in 0..<10 { try await cluster.write(.put(key: "k\(index)", value: "v")) }
        let leader = try await cluster.leader()
        let follower = [NodeID(1), 2, 3].first { $0 != leader.id }!
        try await leader.wait(until: MetricsCondition("follower matched") { ($0.replication[follower]?.matched.indexOrZero ?? 0) >= 11 }, timeout: .seconds(5))
        let before = leader.metrics.replication[follower]!.matched
        try await cluster.start(4)
        try await leader.addLearner(4, address: "node-4", waitUntilCaughtUp: false)
        let after = leader.metrics.replication[follower]!.matched
        #expect(after.indexOrZero >= before.indexOrZero)
        await cluster.shutdownAll()
    }

    /// Field lesson 25: a failed snapshot build does not stop compaction forever.
    @Test func lesson25_lostSnapshotTriggerDoesNotStopCompaction() async throws {
        let router = InProcessRouter<KVTypes>()
        let node = try await RaftNode.start(
            id: 1, config: ReplicationIntegrationTests.snapshotConfig(), logStore: MemoryLogStore<KVTypes>(),
            stateMachine: FlakySnapshotStateMachine(), network: router.network(for: 1))
        try await node.initialize(Membership(voters: [1: "a"]))
        try await node.wait(until: .state(.leader), timeout: .seconds(5))
        for index in 0..<80 { _ = try await node.write(.put(key: "k\(index)", value: "v")) }
        try await node.wait(until: .purged(atLeast: 20), timeout: .seconds(5))
        await node.shutdown()
    }
}
