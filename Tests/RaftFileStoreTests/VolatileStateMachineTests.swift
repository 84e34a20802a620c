import Raft
import RaftFileStore
import RaftTesting
import Testing

/// A volatile state machine over a durable log: the safe way is the easy one (durable
/// snapshots for any state machine), the unsafe way is refused at start with what to change,
/// and a node shut down releases its files.
@Suite("Volatile state machines on the file store", .serialized)
struct VolatileStateMachineTests {
    static func config(snapshotEvery: UInt64?) -> RaftConfig {
        var config = DurableClusterTests.config()
        config.engine.snapshotPolicy = snapshotEvery.map { .everyAppliedEntries($0) } ?? .never
        return config
    }

    static func startSingle<Machine: RaftStateMachine<KVTypes>>(
        log: FileLogStore<KVTypes>, stateMachine: Machine, config: RaftConfig
    ) async throws -> RaftNode<KVTypes> {
        try await RaftNode.start(id: 1, config: config, logStore: log, stateMachine: stateMachine,
                                 network: InProcessRouter<KVTypes>().network(for: 1), randomSeed: 1)
    }

    @Test func volatileStateMachineOnADurableLogIsRefusedAtStart() async throws {
        let directory = TemporaryDirectory("volatile-refused")
        defer { directory.remove() }
        let log = try FileLogStore<KVTypes>(directory: directory.sub("log"))
        do {
            _ = try await Self.startSingle(log: log, stateMachine: MemoryKVStateMachine(), config: Self.config(snapshotEvery: 10))
            Issue.record("a volatile state machine with purging snapshots started on a durable log")
        } catch {
            guard case RaftError<String>.config(let configError)? = error as? RaftError<String> else { Issue.record("got \(error)"); return }
            #expect(configError.field == "stateMachine")
            #expect(configError.description.contains("DurableSnapshotStateMachine"), "says what to change: \(configError)")
        }
        await log.close()
    }

    /// Any state machine wrapped in `DurableSnapshotStateMachine` restarts after its log was
    /// purged: from the snapshot on disk plus the log after it.
    @Test func durableSnapshotsLetAVolatileStateMachineRestartAfterPurge() async throws {
        let directory = TemporaryDirectory("durable-snapshots")
        defer { directory.remove() }
        let config = Self.config(snapshotEvery: 10)
        var memory = MemoryKVStateMachine()
        var node = try await Self.startSingle(
            log: try FileLogStore<KVTypes>(directory: directory.sub("log")),
            stateMachine: try DurableSnapshotStateMachine(memory, directory: directory.sub("snapshots")), config: config)
        try await node.initialize(Membership(voters: [1: "node-1"]))
        try await node.wait(until: .state(.leader), timeout: .seconds(5))
        for index in 0..<40 { _ = try await node.write(.put(key: "k\(index)", value: "\(index)")) }
        try await node.wait(until: MetricsCondition("log purged") { $0.purged.indexOrZero > 0 }, timeout: .seconds(5))
        // Shutdown closes the log store: the same directory opens again in this process.
        await node.shutdown()

        memory = MemoryKVStateMachine()
        node = try await Self.startSingle(
            log: try FileLogStore<KVTypes>(directory: directory.sub("log")),
            stateMachine: try DurableSnapshotStateMachine(memory, directory: directory.sub("snapshots")), config: config)
        try await node.waitForRecovery(timeout: .seconds(5))
        #expect(memory.value(forKey: "k0") == "0", "restored from the durable snapshot")
        #expect(memory.value(forKey: "k39") == "39", "and the log after it")
        #expect(node.metrics.snapshot != nil && node.metrics.purged.indexOrZero > 0)
        await node.shutdown()
    }

    /// Without the policy the combination starts (the whole log is kept), but a purge forced
    /// by hand makes the next start fail, with a message that says what happened and how to
    /// bring the node back.
    @Test func restartPastAPurgeTheStateMachineCannotCoverSaysWhatToDo() async throws {
        let directory = TemporaryDirectory("volatile-purged")
        defer { directory.remove() }
        let config = Self.config(snapshotEvery: nil)
        var node = try await Self.startSingle(
            log: try FileLogStore<KVTypes>(directory: directory.sub("log")), stateMachine: MemoryKVStateMachine(), config: config)
        try await node.initialize(Membership(voters: [1: "node-1"]))
        try await node.wait(until: .state(.leader), timeout: .seconds(5))
        for index in 0..<20 { _ = try await node.write(.put(key: "k\(index)", value: "\(index)")) }
        node.triggerSnapshot()
        try await node.wait(until: MetricsCondition("snapshot built") { $0.snapshot != nil }, timeout: .seconds(5))
        node.purgeLog(upTo: node.metrics.appliedIndex)
        try await node.wait(until: MetricsCondition("log purged") { $0.purged.indexOrZero > 0 }, timeout: .seconds(5))
        await node.shutdown()
        do {
            node = try await Self.startSingle(
                log: try FileLogStore<KVTypes>(directory: directory.sub("log")), stateMachine: MemoryKVStateMachine(), config: config)
            Issue.record("started although no snapshot covers the purged log")
            await node.shutdown()
        } catch {
            guard case RaftError<String>.storage(let storage)? = error as? RaftError<String> else { Issue.record("got \(error)"); return }
            #expect(storage.reason.contains("DurableSnapshotStateMachine") && storage.reason.contains("storageLost"), "\(storage)")
        }
    }
}
