import Raft
import RaftCore
import Synchronization

/// The example key-value store with its snapshots on disk: the "volatile state machine,
/// persistent snapshot" model.
///
/// Applied state lives in memory. On open it is restored from the latest snapshot file; the
/// runtime then re-applies the log entries after the snapshot (it reads `appliedState()` to
/// know where to start). Building or installing a snapshot writes it to disk before it becomes
/// current, so a restart never goes back behind a snapshot the log was purged up to.
public final class FileBackedKVStateMachine: RaftStateMachine {
    /// The example key-value types.
    public typealias Types = KVTypes

    private struct Guarded {
        var state = KVState()
        var snapshot: Snapshot<KVTypes>?
    }

    private let snapshots: FileSnapshotStore<KVTypes>
    private let guarded: Mutex<Guarded>

    /// Opens the state machine whose snapshots live in `directory`.
    public convenience init(directory: String) throws(StorageError) {
        try self.init(snapshots: FileSnapshotStore(directory: directory))
    }

    init(snapshots: FileSnapshotStore<KVTypes>) throws(StorageError) {
        self.snapshots = snapshots
        var initial = Guarded()
        if let latest = try snapshots.loadLatest() {
            initial.state = try KVState(snapshot: latest)
            initial.snapshot = latest
        }
        guarded = Mutex(initial)
    }

    /// Its snapshots are on disk: a restart starts from the latest one.
    public var isDurable: Bool { true }

    /// Where the snapshots are kept.
    public var snapshotDirectory: String { snapshots.directory }

    /// A copy of the whole state.
    public var state: KVState { guarded.withLock { $0.state } }

    /// The last applied entry and membership.
    public func appliedState() async throws(StorageError) -> AppliedState<KVTypes> {
        guarded.withLock { $0.state.appliedState }
    }

    nonisolated(nonsending) public func apply(_ entries: [Entry<KVTypes>]) async throws(StorageError) -> [KVResponse] {
        guarded.withLock { $0.state.apply(entries) }
    }

    /// Encodes the state and saves it to the snapshot directory before returning it.
    public func buildSnapshot() async throws(StorageError) -> Snapshot<KVTypes> {
        let state = guarded.withLock { $0.state }
        // The file sequence number keeps ids unique across restarts.
        let meta = KVSnapshotNaming.meta(for: state, sequence: snapshots.nextSequence)
        let snapshot = Snapshot(meta: meta, data: state.snapshotData())
        try snapshots.save(snapshot)
        guarded.withLock { $0.snapshot = snapshot }
        return snapshot
    }

    /// Saves the snapshot to the snapshot directory and replaces the state with its own.
    public func installSnapshot(_ snapshot: Snapshot<KVTypes>) async throws(StorageError) {
        let state = try KVState(snapshot: snapshot)
        try snapshots.save(snapshot)
        guarded.withLock { guarded in
            guarded.state = state
            guarded.snapshot = snapshot
        }
    }

    public func currentSnapshot() async throws(StorageError) -> Snapshot<KVTypes>? {
        guarded.withLock { $0.snapshot }
    }
}
