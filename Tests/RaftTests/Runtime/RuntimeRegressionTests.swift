import Foundation
import Raft
import RaftTesting
import Synchronization
import Testing

/// A metrics condition whose check sleeps once, the first time the node loop evaluates it
/// (the check made when the wait registers does not count): it holds the loop busy so that
/// later events pile up into one batch.
func loopBlockingCondition(for duration: Duration) -> MetricsCondition<KVTypes> {
    let evaluations = Mutex(0)
    return MetricsCondition("holds the loop") { _ in
        let count = evaluations.withLock { count in
            count += 1
            return count
        }
        if count == 2 { Thread.sleep(forTimeInterval: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) }
        return false
    }
}

/// A client whose read index is far ahead of anything the follower has applied.
struct FarAheadReadIndexClient: RaftNetworkClient {
    typealias Types = KVTypes
    func appendEntries(_ request: AppendEntriesRequest<KVTypes>, timeout: Duration) async throws(RPCError) -> AppendEntriesResponse { throw .unreachable("none") }
    func vote(_ request: VoteRequest, timeout: Duration) async throws(RPCError) -> VoteResponse { throw .unreachable("none") }
    func installSnapshotChunk(_ chunk: SnapshotChunk<KVTypes>, timeout: Duration) async throws(RPCError) -> SnapshotChunkResponse { throw .unreachable("none") }
    func timeoutNow(_ request: TimeoutNowRequest, timeout: Duration) async throws(RPCError) { throw .unreachable("none") }
    func readIndex(timeout: Duration) async throws(RPCError) -> LogID? { LogID(term: 1, nodeID: 2, index: 1000) }
}

@Suite("Runtime: regressions", .serialized)
struct RuntimeRegressionTests {
    func lonelyNode() async throws -> RaftNode<KVTypes> {
        try await RaftNode.start(id: 1, config: TestCluster.fastConfig(), logStore: MemoryLogStore<KVTypes>(), stateMachine: MemoryKVStateMachine(), network: InProcessRouter<KVTypes>().network(for: 1))
    }

    @Test func callsQueuedBehindAShutdownInOneBatchAreAnswered() async throws {
        let node = try await lonelyNode()
        // The wait registers a condition the loop evaluates (and sleeps in) on its next publish
        // of changed metrics; switching elections off changes nothing the metrics show, so
        // trigger something that does.
        let holder = Task { try? await node.wait(until: loopBlockingCondition(for: .milliseconds(300)), timeout: .seconds(1)) }
        try await Task.sleep(for: .milliseconds(50))
        try await node.initialize(Membership(voters: [1: "a"]))
        try await Task.sleep(for: .milliseconds(50))
        let firstShutdown = Task { await node.shutdown() }
        try await Task.sleep(for: .milliseconds(20))
        let write = Task { () -> Bool in (try? await node.write(.put(key: "k", value: "v"))) == nil }
        let secondShutdown = Task { await node.shutdown() }
        await firstShutdown.value
        let writeFailed = await write.value
        await secondShutdown.value
        #expect(writeFailed)
        _ = await holder.value
    }

    /// The last chunks of two snapshots arriving in one loop turn: the first is installed with
    /// its own data, never with the other's or with none.
    @Test func twoSnapshotsCompletingInOneTurnInstallTheRightData() async throws {
        let stateMachine = MemoryKVStateMachine()
        let node = try await RaftNode.start(
            id: 3, config: TestCluster.fastConfig(), logStore: MemoryLogStore<KVTypes>(), stateMachine: stateMachine,
            network: InProcessRouter<KVTypes>().network(for: 3), storageLost: true)
        let source = MemoryKVStateMachine()
        let membership = Membership<KVTypes>(voters: [1: "a", 2: "b", 3: "c"])
        _ = try await source.apply([
            Entry(logID: LogID(term: 1, nodeID: 1, index: 1), payload: .membership(membership)),
            Entry(logID: LogID(term: 1, nodeID: 1, index: 2), payload: .command(.put(key: "from", value: "first"))),
        ])
        let first = try await source.buildSnapshot()
        _ = try await source.apply([Entry(logID: LogID(term: 2, nodeID: 2, index: 3), payload: .command(.put(key: "from", value: "second")))])
        let second = try await source.buildSnapshot()
        let holder = Task { try? await node.wait(until: loopBlockingCondition(for: .milliseconds(300)), timeout: .seconds(1)) }
        try await Task.sleep(for: .milliseconds(50))
        // A metrics change makes the loop evaluate the holding condition.
        node.resumeVoting()
        try await Task.sleep(for: .milliseconds(50))
        let firstAnswer = Task { await node.installSnapshotChunk(SnapshotChunk(vote: .leader(LeaderID(term: 1, nodeID: 1)), meta: first.meta, offset: 0, data: first.data, isLast: true, rpcID: 5)) }
        try await Task.sleep(for: .milliseconds(10))
        let secondAnswer = Task { await node.installSnapshotChunk(SnapshotChunk(vote: .leader(LeaderID(term: 2, nodeID: 2)), meta: second.meta, offset: 0, data: second.data, isLast: true, rpcID: 9)) }
        _ = await holder.value
        guard case .installed(let installed) = await firstAnswer.value else { Issue.record("the first snapshot was not installed"); return }
        #expect(installed.outcome == .installed(matched: first.meta.lastLogID))
        #expect(node.metrics.runningState == .running)
        // Usually both chunks share a turn and the second transfer is ignored while the first
        // installs (its sender retries); if the machine is too busy to batch them, the second is
        // installed after the first. Either way each install carries its own data.
        switch await secondAnswer.value {
        case .installed:
            #expect(stateMachine.value(forKey: "from") == "second")
        default:
            #expect(stateMachine.value(forKey: "from") == "first")
        }
        await node.shutdown()
    }

    @Test func followerReadGivesUpAtItsTimeout() async throws {
        let node = try await lonelyNode()
        let start = ContinuousClock.now
        await #expect(throws: RaftError<String>.timeout) {
            try await node.ensureLinearizable(via: FarAheadReadIndexClient(), timeout: .milliseconds(200))
        }
        #expect(ContinuousClock.now - start < .seconds(2))
        await node.shutdown()
    }

    @Test func waitWithZeroTimeoutAlwaysReturns() async throws {
        let node = try await lonelyNode()
        let never = MetricsCondition<KVTypes>("never") { _ in false }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<500 { group.addTask { _ = try? await node.wait(until: never, timeout: .zero) } }
        }
        await node.shutdown()
    }

    @Test func metricsStreamOpenedAfterShutdownEnds() async throws {
        let node = try await lonelyNode()
        await node.shutdown()
        var count = 0
        for await _ in node.metricsUpdates { count += 1 }
        #expect(count == 1, "the final metrics, then the end")
        await #expect(throws: RaftError<String>.shuttingDown) {
            try await node.wait(until: .state(.leader), timeout: .seconds(1))
        }
    }

    /// Writes proposed by a deposed leader are answered when its log is truncated, even if the
    /// cluster goes idle and those indexes are never applied again.
    @Test func writesOfATruncatedLeaderAreAnsweredOnAnIdleCluster() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let old = try await cluster.leader()
        cluster.router.isolate(old.id)
        let pending = Task { await old.writeMany((0..<20).map { .put(key: "lost\($0)", value: "x") }) }
        _ = try await cluster.leader(excluding: [old.id])
        try await cluster.write(.put(key: "one", value: "entry"))
        cluster.router.healAll()
        let results = await pending.value
        for result in results {
            guard case .failure(let error) = result else { Issue.record("an isolated leader cannot commit"); continue }
            #expect(error.mayHaveBeenApplied || error == .writeFailed, "got \(error)")
        }
        await cluster.shutdownAll()
    }
}
