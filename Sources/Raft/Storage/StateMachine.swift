import RaftCore

/// A snapshot: its metadata and the state machine's serialized state.
public struct Snapshot<Types: RaftTypeConfig>: Sendable, Codable {
    /// What the snapshot covers.
    public var meta: SnapshotMeta<Types>
    /// The state machine's serialized state.
    public var data: [UInt8]

    /// A snapshot.
    @inlinable public init(meta: SnapshotMeta<Types>, data: [UInt8]) {
        self.meta = meta
        self.data = data
    }
}

/// What a state machine has applied: the last entry and the last membership it saw.
public struct AppliedState<Types: RaftTypeConfig>: Sendable, Equatable, Codable {
    /// The last entry applied.
    public var lastApplied: LogID?
    /// The last membership applied (blank when none was).
    public var membership: StoredMembership<Types>

    /// An applied state.
    @inlinable public init(lastApplied: LogID?, membership: StoredMembership<Types>) {
        self.lastApplied = lastApplied
        self.membership = membership
    }
}

/// The application's replicated state. Implemented by the application (`MemoryKVStateMachine`
/// is a starting point).
///
/// ## Contract
/// - `apply` receives committed entries in log order, each exactly once (the runtime never
///   re-applies an entry the state machine reported applied). It returns one response per
///   `.command` entry, in order; blank and membership entries advance the applied state too.
/// - `buildSnapshot` must capture a consistent view of the state as of the last applied entry;
///   the runtime calls it off the hot path and never runs `apply`, `buildSnapshot` or
///   `installSnapshot` concurrently with one another.
/// - `currentSnapshot` (and `appliedState`) may be called concurrently with any of them: a
///   snapshot being streamed to a follower is read while applies go on, so guard the state
///   they read.
/// - `installSnapshot` replaces the whole state; afterwards `appliedState()` reports the
///   snapshot's last log id and membership.
/// - Any thrown error is fatal for the node.
public protocol RaftStateMachine<Types>: AnyObject, Sendable {
    /// The application's types.
    associatedtype Types: RaftTypeConfig

    /// Whether `apply` always returns promptly without suspending (an in-memory state
    /// machine). The node loop then applies committed entries and answers their writes within
    /// its own turn, saving two task hand-offs per write; otherwise a worker task of its own
    /// does, so a slow apply never delays heartbeats. `buildSnapshot` and `installSnapshot`
    /// always run on the worker, and the runtime still never runs two of `apply`,
    /// `buildSnapshot` and `installSnapshot` at once (`currentSnapshot` may run beside them,
    /// see the contract). Defaults to `false`.
    var applyNeverBlocks: Bool { get }

    /// Whether, after a restart of the process, ``appliedState()`` or ``currentSnapshot()``
    /// still covers what was applied before: the state machine keeps its state on disk, or
    /// keeps its snapshots there (wrap a volatile one in `DurableSnapshotStateMachine` from
    /// RaftFileStore). Over a durable log store whose snapshot policy can purge the log, a
    /// state machine that is not durable is refused at start: its log would be purged past
    /// a snapshot that only lived in memory, and the node could not restart. Defaults to
    /// `false`.
    var isDurable: Bool { get }

    /// The last applied entry and membership: read at start, so the node knows where to resume,
    /// and after an installed snapshot.
    func appliedState() async throws(StorageError) -> AppliedState<Types>
    /// Starts on the caller's executor (`nonisolated(nonsending)`): the node loop when
    /// `applyNeverBlocks`, else the state-machine worker. A plain `async` implementation hops
    /// to the global executor first; a `nonisolated(nonsending)` one saves that switch.
    nonisolated(nonsending) func apply(_ entries: [Entry<Types>]) async throws(StorageError) -> [Types.Response]
    /// A snapshot of the state as of the last applied entry (see the contract).
    func buildSnapshot() async throws(StorageError) -> Snapshot<Types>
    /// Replaces the whole state with `snapshot`'s.
    func installSnapshot(_ snapshot: Snapshot<Types>) async throws(StorageError)
    /// The last snapshot built or installed, if any.
    func currentSnapshot() async throws(StorageError) -> Snapshot<Types>?

    /// Releases the state machine's resources once the node has stopped; called by
    /// ``RaftNode/shutdown()`` after the log store's `close`. Defaults to doing nothing.
    func close() async
}

extension RaftStateMachine {
    /// State machines are assumed to block unless they say otherwise.
    @inlinable public var applyNeverBlocks: Bool { false }

    /// State machines are assumed volatile unless they say otherwise.
    @inlinable public var isDurable: Bool { false }

    /// Nothing to release.
    @inlinable public func close() async {}
}
