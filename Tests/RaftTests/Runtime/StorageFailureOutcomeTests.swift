import Raft
import RaftTesting
import Synchronization
import Testing

/// A memory log store whose `failingAppend`-th append reports its flush as failed (an fsync
/// error), optionally through the node loop's inline path.
final class FailingFlushLogStore: MemoryBackedLogStore {
    let base = MemoryLogStore<KVTypes>()
    let failingAppend: Int
    let inline: Bool
    private let appends = Mutex(0)

    init(failingAppend: Int, inline: Bool) {
        self.failingAppend = failingAppend
        self.inline = inline
    }

    var neverBlocks: Bool { inline }
    func append(_ entries: [Entry<KVTypes>], onDurable: @escaping LogFlushCallback) async throws(StorageError) {
        let count = appends.withLock { count in
            count += 1
            return count
        }
        try await base.append(entries) { [failingAppend] result in
            onDurable(count == failingAppend ? .failure(StorageError(subject: .logEntry(entries.first?.logID), verb: .sync, reason: "injected fsync failure")) : result)
        }
    }
}

@Suite("Runtime: write outcomes when storage fails", .serialized)
struct StorageFailureOutcomeTests {
    /// A write whose entry was proposed may still be committed (by other nodes, or by this one
    /// after a restart finds the entry on disk), so a fatal storage error answers it as
    /// unknown, never as a plain failure a client could safely retry (field lesson 23).
    @Test(arguments: [false, true])
    func proposedWriteIsUnknownAfterAnFsyncFailure(inline: Bool) async throws {
        // Appends: 1 the initial membership, 2 the leader's blank entry, 3 the first write.
        let store = FailingFlushLogStore(failingAppend: 4, inline: inline)
        let node = try await RaftNode.start(
            id: 1, config: TestCluster.fastConfig(), logStore: store, stateMachine: MemoryKVStateMachine(),
            network: InProcessRouter<KVTypes>().network(for: 1), randomSeed: 1)
        try await node.initialize(Membership(voters: [1: "node-1"]))
        try await node.wait(until: .state(.leader), timeout: .seconds(5))
        _ = try await node.write(.put(key: "before", value: "1"))
        do {
            _ = try await node.write(.put(key: "lost", value: "2"))
            Issue.record("the write whose flush failed succeeded")
        } catch {
            guard case .outcomeUnknown(.storageFailed(let cause)) = error else { Issue.record("got \(error)"); return }
            #expect(cause.reason == "injected fsync failure" && cause.verb == .sync, "the caller learns what failed: \(cause)")
        }
        // Every later call names the storage error too, not just "shutting down".
        do {
            _ = try await node.write(.put(key: "after", value: "3"))
            Issue.record("a node stopped by a storage error accepted a write")
        } catch {
            guard case .storage(let cause) = error else { Issue.record("got \(error)"); return }
            #expect(cause.reason == "injected fsync failure")
        }
        do {
            try await node.ensureLinearizable()
            Issue.record("a node stopped by a storage error served a read")
        } catch {
            guard case .storage = error else { Issue.record("got \(error)"); return }
        }
        await node.shutdown()
        guard case .fatal = node.metrics.runningState else {
            Issue.record("the node should have stopped on the storage error, got \(node.metrics.runningState)")
            return
        }
    }
}
