import Raft
import RaftCore
import Synchronization

/// The `raft-kv` state machine: the store in memory, applied within the node's loop. Its
/// snapshots are made durable by wrapping it in `DurableSnapshotStateMachine`; after a restart
/// the node rebuilds it from the latest snapshot and the log after it.
public final class StoreStateMachine: RaftStateMachine {
    /// The store's types: its commands, results and member addresses.
    public typealias Types = StoreTypes

    private struct Guarded {
        var state: StoreState
        var snapshot: Snapshot<StoreTypes>?
        var snapshotsBuilt: UInt64 = 0
    }

    private let guarded: Mutex<Guarded>

    /// An empty store.
    public init(sessionLimits: ClientSessions<StoreResult>.Limits = .init()) {
        guarded = Mutex(Guarded(state: StoreState(sessionLimits: sessionLimits)))
    }

    /// Applying is a short critical section in memory.
    public var applyNeverBlocks: Bool { true }

    /// The value of `key` in the applied state.
    public func value(forKey key: String) -> String? {
        guarded.withLock { $0.state.values[key] }
    }

    /// Up to `limit` pairs whose key starts with `prefix`, in key order, from the applied state.
    public func list(prefix: String, limit: Int) -> [(key: String, value: String)] {
        guarded.withLock { $0.state.list(prefix: prefix, limit: limit) }
    }

    /// How many keys the store holds.
    public var keyCount: Int { guarded.withLock { $0.state.values.count } }

    /// The last applied log id and the membership applied with it.
    public func appliedState() async throws(StorageError) -> AppliedState<StoreTypes> {
        guarded.withLock { $0.state.appliedState }
    }

    /// Applies committed entries in order and returns one result per command entry; a
    /// retried exactly-once request gets its first result again.
    nonisolated(nonsending) public func apply(_ entries: [Entry<StoreTypes>]) async throws(StorageError) -> [StoreResult] {
        guarded.withLock { $0.state.apply(entries) }
    }

    /// A snapshot of the applied state: the data, the exactly-once sessions, the last applied
    /// log id and membership.
    public func buildSnapshot() async throws(StorageError) -> Snapshot<StoreTypes> {
        // Copy under the lock (copy-on-write, so O(1)), encode outside it.
        let (state, sequence) = guarded.withLock { guarded -> (StoreState, UInt64) in
            guarded.snapshotsBuilt += 1
            return (guarded.state, guarded.snapshotsBuilt)
        }
        let last = state.lastApplied.map(\.description) ?? "empty"
        let meta = SnapshotMeta(lastLogID: state.lastApplied, lastMembership: state.membership,
                                snapshotID: "\(last)-\(sequence)-\(UInt32.random(in: 0...UInt32.max))")
        let snapshot = Snapshot(meta: meta, data: state.snapshotData())
        guarded.withLock { guarded in
            if (guarded.snapshot?.meta.lastLogID).indexOrZero <= snapshot.meta.lastLogID.indexOrZero {
                guarded.snapshot = snapshot
            }
        }
        return snapshot
    }

    /// Replaces the state with the snapshot's; fails with a corruption error when the data
    /// cannot be decoded or disagrees with the snapshot's metadata.
    public func installSnapshot(_ snapshot: Snapshot<StoreTypes>) async throws(StorageError) {
        let state = try StoreState(snapshot: snapshot)
        guarded.withLock { guarded in
            guarded.state = state
            guarded.snapshot = snapshot
        }
    }

    /// The newest snapshot this store built or installed, if any.
    public func currentSnapshot() async throws(StorageError) -> Snapshot<StoreTypes>? {
        guarded.withLock { $0.snapshot }
    }
}
