import RaftCore

/// The state of a log store at startup.
public struct LogState: Hashable, Sendable, Codable {
    /// The id of the last entry removed by `purge`, if any.
    public var lastPurgedLogID: LogID?
    /// The id of the last entry in the log; equals `lastPurgedLogID` when every entry is purged.
    public var lastLogID: LogID?

    /// A log state from its purge point and last entry.
    @inlinable public init(lastPurgedLogID: LogID?, lastLogID: LogID?) {
        self.lastPurgedLogID = lastPurgedLogID
        self.lastLogID = lastLogID
    }
}

/// Called once the entries of one `append` are durable (or failed to become durable).
public typealias LogFlushCallback = @Sendable (Result<Void, StorageError>) -> Void

/// The durable Raft log plus the node's vote and commit point. Implemented by the
/// application or taken from this package (`MemoryLogStore`, `FileLogStore`).
///
/// ## Contract
/// - The runtime issues writes (`append`, `truncate`, `purge`, `saveVote`, `saveCommitted`)
///   one at a time, in order, and the store must make them durable in that order: when an
///   append's flush callback reports success, every write issued before it is durable too.
/// - `append` returns once the entries are readable through `entries(in:)`; durability is
///   reported separately through its callback, which may run before or after `append`
///   returns and on any thread. Entries are contiguous: the first index is `lastLogID + 1`.
/// - `saveVote`, `truncate` and `purge` return once their effect is durable.
/// - Reads may run concurrently with writes.
/// - Any thrown error is fatal for the node (the page cache may lie after a failed fsync, so
///   a store must not retry one).
/// - The operations the write path calls are `nonisolated(nonsending)`: they start on the
///   caller's executor (the node's writer task, or the node loop for a store that never
///   blocks). A store may implement them as plain `async` functions, which hop to the global
///   executor first; declaring them `nonisolated(nonsending)` saves that executor switch.
public protocol RaftLogStorage<Types>: AnyObject, Sendable {
    /// The application's types.
    associatedtype Types: RaftTypeConfig

    /// Whether no operation ever waits (for a disk, another thread, or time): every call,
    /// reads included, returns promptly without suspending, while still keeping the contract
    /// below (`saveVote`, `truncate` and `purge` durable on return). The node loop then calls
    /// the store itself within its turn, saving two task hand-offs per write; otherwise a
    /// writer task of its own does, so a slow disk never delays heartbeats. In practice only
    /// stores whose durability needs no I/O (`MemoryLogStore`) qualify. Defaults to `false`.
    var neverBlocks: Bool { get }

    /// Whether what the store holds survives a restart of the process (a file store: true; a
    /// memory store: false). A node refuses to start when its log is durable but its state
    /// machine is not (see ``RaftStateMachine/isDurable``): after a restart it could find its
    /// log purged past anything the state machine can recover. Defaults to `true`.
    var isDurable: Bool { get }

    /// Releases the store's resources (files, locks, threads) once the node has stopped:
    /// ``RaftNode/shutdown()`` calls it last, so the same directory can be opened again in
    /// this process. Must be safe to call more than once. Defaults to doing nothing.
    func close() async

    /// Last purged and last log id.
    func logState() async throws(StorageError) -> LogState
    /// Entries with indexes in `range`. Every index in the range between the purged head and
    /// the last entry must be returned; indexes outside it are skipped.
    nonisolated(nonsending) func entries(in range: Range<LogIndex>) async throws(StorageError) -> [Entry<Types>]
    /// Appends contiguous entries; see the contract above for durability.
    nonisolated(nonsending) func append(_ entries: [Entry<Types>], onDurable: @escaping LogFlushCallback) async throws(StorageError)
    /// Deletes every entry after `logID` (all entries when nil).
    nonisolated(nonsending) func truncate(after logID: LogID?) async throws(StorageError)
    /// Deletes every entry up to and including `logID`.
    nonisolated(nonsending) func purge(upTo logID: LogID) async throws(StorageError)
    /// Durably stores the vote.
    nonisolated(nonsending) func saveVote(_ vote: Vote) async throws(StorageError)
    /// The last saved vote, nil if none was saved.
    func readVote() async throws(StorageError) -> Vote?
    /// Stores the commit point. Optional durability: it lets a restart re-apply committed
    /// entries to a volatile state machine without waiting for a leader.
    nonisolated(nonsending) func saveCommitted(_ committed: LogID?) async throws(StorageError)
    /// The last saved commit point.
    func readCommitted() async throws(StorageError) -> LogID?
}

extension RaftLogStorage {
    /// Stores are assumed to block unless they say otherwise.
    @inlinable public var neverBlocks: Bool { false }

    /// Stores are assumed durable unless they say otherwise.
    @inlinable public var isDurable: Bool { true }

    /// Nothing to release.
    @inlinable public func close() async {}
}
