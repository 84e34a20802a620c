import Raft
import RaftCore
import Synchronization

/// The types of the benchmark cluster: an 8-byte command and an empty response, as in
/// openraft's `bench_cluster_of_3` (whose requests and responses are empty), so the numbers
/// measure the library rather than an application.
enum BenchTypes: RaftTypeConfig {
    typealias Command = UInt64
    typealias Response = BenchResponse
    typealias NodeAddress = UInt64
}

/// The state machine's answer: nothing.
struct BenchResponse: Sendable {}

/// A state machine that only counts: it keeps what the runtime needs (last applied entry,
/// membership, a snapshot) and no data, so the cost of applying is the cost of the runtime
/// handing it entries.
final class BenchStateMachine: RaftStateMachine {
    typealias Types = BenchTypes

    private struct State {
        var lastApplied: LogID?
        var membership: StoredMembership<BenchTypes> = .empty
        var commandsApplied: UInt64 = 0
        var snapshot: Snapshot<BenchTypes>?
        var snapshotsBuilt: UInt64 = 0
    }

    private let state = Mutex(State())

    var commandsApplied: UInt64 { state.withLock { $0.commandsApplied } }

    /// Applying only counts, under a lock.
    var applyNeverBlocks: Bool { true }

    func appliedState() async throws(StorageError) -> AppliedState<BenchTypes> {
        state.withLock { AppliedState(lastApplied: $0.lastApplied, membership: $0.membership) }
    }

    // On the caller's (the node loop's) executor, like any apply that never blocks should be:
    // no executor switch per apply.
    nonisolated(nonsending) func apply(_ entries: [Entry<BenchTypes>]) async throws(StorageError) -> [BenchResponse] {
        state.withLock { state in
            var commands = 0
            for entry in entries {
                switch entry.payload {
                case .blank: break
                case .membership(let membership): state.membership = StoredMembership(logID: entry.logID, membership: membership)
                case .command: commands += 1
                }
            }
            state.lastApplied = entries.last?.logID ?? state.lastApplied
            state.commandsApplied += UInt64(commands)
            return Array(repeating: BenchResponse(), count: commands)
        }
    }

    func buildSnapshot() async throws(StorageError) -> Snapshot<BenchTypes> {
        state.withLock { state in
            state.snapshotsBuilt += 1
            let last = state.lastApplied.map(\.description) ?? "empty"
            let meta = SnapshotMeta(lastLogID: state.lastApplied, lastMembership: state.membership, snapshotID: "\(last)-\(state.snapshotsBuilt)")
            let snapshot = Snapshot(meta: meta, data: withUnsafeBytes(of: state.commandsApplied.littleEndian) { Array($0) })
            state.snapshot = snapshot
            return snapshot
        }
    }

    func installSnapshot(_ snapshot: Snapshot<BenchTypes>) async throws(StorageError) {
        guard snapshot.data.count == 8 else {
            throw StorageError(subject: .snapshot(id: snapshot.meta.snapshotID), verb: .read, reason: "expected 8 bytes, got \(snapshot.data.count)")
        }
        let count = snapshot.data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        state.withLock { state in
            state.lastApplied = snapshot.meta.lastLogID
            state.membership = snapshot.meta.lastMembership
            state.commandsApplied = count
            state.snapshot = snapshot
        }
    }

    func currentSnapshot() async throws(StorageError) -> Snapshot<BenchTypes>? {
        state.withLock { $0.snapshot }
    }
}
