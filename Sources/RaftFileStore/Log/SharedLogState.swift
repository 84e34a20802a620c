import DequeModule
import Raft
import RaftCore

/// An entry kept decoded in memory, with the operation that appended it: the entry may be
/// evicted only once that operation reached the files, so a cached entry can never be replaced
/// by a stale on-disk one with the same index (field lesson 8: the cache never drifts from
/// storage after a truncation).
@usableFromInline struct CachedEntry<Types: RaftTypeConfig>: Sendable {
    @usableFromInline var entry: Entry<Types>
    @usableFromInline var operation: UInt64
    @usableFromInline var byteCount: Int

    @inlinable init(entry: Entry<Types>, operation: UInt64, byteCount: Int) {
        self.entry = entry
        self.operation = operation
        self.byteCount = byteCount
    }
}

/// Everything callers and the writer thread share, behind one mutex.
@usableFromInline struct SharedLogState<Types: RaftTypeConfig>: Sendable {
    @inlinable init() {}

    // The log as the runtime sees it: every call is reflected here at once.
    @usableFromInline var lastPurged: LogID?
    @usableFromInline var lastLogID: LogID?
    /// The newest entries, ending at `lastLogID`.
    @usableFromInline var cache = Deque<CachedEntry<Types>>()
    @usableFromInline var cacheBytes = 0
    /// Only durable votes: set by the writer after the vote file is in place.
    @usableFromInline var vote: Vote?
    @usableFromInline var committed: LogID?

    // What the segment files hold, maintained by the writer in record order.
    @usableFromInline var disk = DiskIndex()
    @usableFromInline var segments: [UInt64: SegmentFile] = [:]
    /// Every operation with a sequence number up to this one is reflected in `disk`.
    @usableFromInline var writtenOperation: UInt64 = 0

    // The writer's queue.
    @usableFromInline var queue: [QueuedOperation<Types>] = []
    @usableFromInline var nextOperation: UInt64 = 1
    @usableFromInline var pendingBytes = 0
    @usableFromInline var pendingWaiters: [CheckedContinuation<Void, Never>] = []
    @usableFromInline var failure: StorageError?
    @usableFromInline var isClosed = false
    /// Test hook: while set the writer leaves the queue alone, so a test can enqueue a batch
    /// and have it written as one group.
    @usableFromInline var writerSuspended = false

    @inlinable var cacheFirstIndex: LogIndex { lastLogID.indexOrZero + 1 - LogIndex(cache.count) }

    @discardableResult
    @inlinable mutating func enqueue(_ operation: WriteOperation<Types>) -> UInt64 {
        let sequence = nextOperation
        nextOperation += 1
        queue.append(QueuedOperation(sequence: sequence, operation: operation))
        return sequence
    }

    @inlinable func checkUsable(_ directory: String) throws(StorageError) {
        if let failure { throw failure }
        if isClosed { throw .closed(directory) }
    }

    /// Drops cached entries after `index` (a truncation).
    @inlinable mutating func removeCachedEntries(after index: LogIndex) {
        let count = Int(min(LogIndex(cache.count), lastLogID.indexOrZero - min(index, lastLogID.indexOrZero)))
        for _ in 0..<count { cacheBytes -= cache.removeLast().byteCount }
    }

    /// Drops cached entries up to and including `index` (a purge).
    @inlinable mutating func removeCachedEntries(upTo index: LogIndex) {
        guard index >= cacheFirstIndex else { return }
        let count = Int(min(LogIndex(cache.count), index - cacheFirstIndex + 1))
        for _ in 0..<count { cacheBytes -= cache.removeFirst().byteCount }
    }

    /// Evicts the oldest cached entries beyond the bounds, but only those already written.
    @inlinable mutating func trimCache(_ options: FileLogStoreOptions) {
        while cache.count > options.cacheMaxEntries || cacheBytes > options.cacheMaxBytes,
              let first = cache.first, first.operation <= writtenOperation {
            cacheBytes -= first.byteCount
            cache.removeFirst()
        }
    }
}
