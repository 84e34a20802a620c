import RaftCore
import Synchronization

/// The example key-value store as a volatile state machine.
///
/// Its state lives in memory; after a restart the runtime rebuilds it from the latest snapshot
/// (if the application keeps one, see `FileBackedKVStateMachine` in RaftFileStore) and the log.
public final class MemoryKVStateMachine: RaftStateMachine {
    /// The example key-value types.
    public typealias Types = KVTypes

    private struct Guarded {
        var state = KVState()
        var snapshot: Snapshot<KVTypes>?
        var snapshotsBuilt: UInt64 = 0
    }

    private let guarded = Mutex(Guarded())

    /// An empty state machine that has applied nothing.
    public init() {}

    /// Applying is a short critical section in memory.
    public var applyNeverBlocks: Bool { true }

    /// The current value of `key`, for tests and local (non-linearizable) reads.
    public func value(forKey key: String) -> String? {
        guarded.withLock { $0.state.values[key] }
    }

    /// A copy of the whole state.
    public var state: KVState {
        guarded.withLock { $0.state }
    }

    /// The last applied entry and membership.
    public func appliedState() async throws(StorageError) -> AppliedState<KVTypes> {
        guarded.withLock { $0.state.appliedState }
    }

    nonisolated(nonsending) public func apply(_ entries: [Entry<KVTypes>]) async throws(StorageError) -> [KVResponse] {
        guarded.withLock { $0.state.apply(entries) }
    }

    /// Encodes the whole state as of the last applied entry.
    public func buildSnapshot() async throws(StorageError) -> Snapshot<KVTypes> {
        // Copy under the lock (copy-on-write, so O(1)), encode outside it.
        let (state, sequence) = guarded.withLock { guarded -> (KVState, UInt64) in
            guarded.snapshotsBuilt += 1
            return (guarded.state, guarded.snapshotsBuilt)
        }
        let snapshot = Snapshot(meta: KVSnapshotNaming.meta(for: state, sequence: sequence), data: state.snapshotData())
        guarded.withLock { guarded in
            if (guarded.snapshot?.meta.lastLogID).indexOrZero <= snapshot.meta.lastLogID.indexOrZero {
                guarded.snapshot = snapshot
            }
        }
        return snapshot
    }

    /// Replaces the state with a snapshot's.
    public func installSnapshot(_ snapshot: Snapshot<KVTypes>) async throws(StorageError) {
        let state = try KVState(snapshot: snapshot)
        guarded.withLock { guarded in
            guarded.state = state
            guarded.snapshot = snapshot
        }
    }

    public func currentSnapshot() async throws(StorageError) -> Snapshot<KVTypes>? {
        guarded.withLock { $0.snapshot }
    }
}

/// Snapshot ids: unique per build, readable in logs.
package enum KVSnapshotNaming {
    package static func meta(for state: KVState, sequence: UInt64) -> SnapshotMeta<KVTypes> {
        let last = state.lastApplied.map(\.description) ?? "empty"
        return SnapshotMeta(lastLogID: state.lastApplied, lastMembership: state.membership,
                            snapshotID: "\(last)-\(sequence)")
    }
}
