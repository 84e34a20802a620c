import Raft
import RaftCore
import Synchronization

/// Gives any state machine durable snapshots: every snapshot it builds, and every snapshot
/// installed from a leader, is written to a ``FileSnapshotStore`` (synced, published
/// atomically) before the node relies on it.
///
/// This is what a volatile state machine (its state only in memory) needs over a durable
/// log: the log is purged up to the latest snapshot, so after a restart that snapshot must
/// still be there. At start the node reads ``currentSnapshot()``, installs it into the
/// wrapped state machine, and re-applies the log entries after it.
///
/// ```swift
/// let stateMachine = try DurableSnapshotStateMachine(MyStateMachine(), directory: "data/snapshots")
/// let node = try await RaftNode.start(id: 1, logStore: try FileLogStore<MyTypes>(directory: "data/log"),
///                                     stateMachine: stateMachine, network: network)
/// ```
public final class DurableSnapshotStateMachine<Base: RaftStateMachine>: RaftStateMachine {
    /// The wrapped state machine's types.
    public typealias Types = Base.Types

    /// The wrapped state machine.
    public let base: Base
    @usableFromInline let snapshots: FileSnapshotStore<Types>
    /// The newest snapshot on disk; loaded when opened.
    @usableFromInline let latest: Mutex<Snapshot<Types>?>

    /// Wraps `base`, keeping its snapshots in `directory` (created if needed). Opening reads
    /// and verifies the latest snapshot file.
    @inlinable public convenience init(_ base: Base, directory: String) throws(StorageError) {
        try self.init(base, snapshots: FileSnapshotStore(directory: directory))
    }

    /// Wraps `base`, keeping its snapshots in `snapshots`.
    @inlinable public init(_ base: Base, snapshots: FileSnapshotStore<Types>) throws(StorageError) {
        self.base = base
        self.snapshots = snapshots
        self.latest = Mutex(try snapshots.loadLatest())
    }

    /// Its snapshots survive restarts.
    @inlinable public var isDurable: Bool { true }
    /// As the wrapped state machine's.
    @inlinable public var applyNeverBlocks: Bool { base.applyNeverBlocks }

    /// The wrapped state machine's applied state.
    @inlinable public func appliedState() async throws(StorageError) -> AppliedState<Types> {
        try await base.appliedState()
    }

    @inlinable nonisolated(nonsending) public func apply(_ entries: [Entry<Types>]) async throws(StorageError) -> [Types.Response] {
        try await base.apply(entries)
    }

    /// Builds the wrapped state machine's snapshot and stores it durably before the node
    /// may purge the log up to it.
    @inlinable public func buildSnapshot() async throws(StorageError) -> Snapshot<Types> {
        let snapshot = try await base.buildSnapshot()
        try snapshots.save(snapshot)
        latest.withLock { $0 = snapshot }
        return snapshot
    }

    /// Stores the leader's snapshot durably, then installs it: a crash in between restarts
    /// from the stored snapshot.
    @inlinable public func installSnapshot(_ snapshot: Snapshot<Types>) async throws(StorageError) {
        // At start the node installs the stored snapshot itself: it is on disk already.
        let stored = latest.withLock { $0?.meta.snapshotID == snapshot.meta.snapshotID }
        if !stored {
            try snapshots.save(snapshot)
            latest.withLock { $0 = snapshot }
        }
        try await base.installSnapshot(snapshot)
    }

    /// The newest snapshot on disk.
    @inlinable public func currentSnapshot() async throws(StorageError) -> Snapshot<Types>? {
        latest.withLock { $0 }
    }

    /// Closes the wrapped state machine.
    @inlinable public func close() async { await base.close() }
}
