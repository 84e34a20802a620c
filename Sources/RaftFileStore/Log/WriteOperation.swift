import Raft
import RaftCore

/// A write queued for the writer thread, in the order the runtime issued it.
@usableFromInline enum WriteOperation<Types: RaftTypeConfig>: Sendable {
    @usableFromInline typealias Completion = @Sendable (Result<Void, StorageError>) -> Void

    case append([Entry<Types>], onDurable: LogFlushCallback, byteCount: Int)
    case truncate(after: LogID?, Completion)
    case purge(upTo: LogID, Completion)
    /// Durable with the next synced batch; nobody waits for it.
    case committed(LogID?)
    case vote(Vote, Completion)
    /// Flushes everything, closes the files and stops the writer.
    case close(Completion?)
}

/// A queued operation and its sequence number (see `CachedEntry.operation`).
@usableFromInline struct QueuedOperation<Types: RaftTypeConfig>: Sendable {
    @usableFromInline var sequence: UInt64
    @usableFromInline var operation: WriteOperation<Types>

    @inlinable init(sequence: UInt64, operation: WriteOperation<Types>) {
        self.sequence = sequence
        self.operation = operation
    }
}
