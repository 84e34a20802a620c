import DequeModule
import Raft
import RaftCore

/// An entry kept decoded in memory, with the operation that appended it: the entry may be
/// evicted only once that operation reached the files, so a cached entry can never be replaced
/// by a stale on-disk one with the same index (field lesson 8: the cache never drifts from
/// storage after a truncation).
struct CachedEntry<Types: RaftTypeConfig> {
    var entry: Entry<Types>
    var operation: UInt64
    var byteCount: Int
}

/// Everything callers and the writer thread share, behind one mutex.
struct SharedLogState<Types: RaftTypeConfig> {
    // The log as the runtime sees it: every call is reflected here at once.
    var lastPurged: LogID?
    var lastLogID: LogID?
    /// The newest entries, ending at `lastLogID`.
    var cache = Deque<CachedEntry<Types>>()
    var cacheBytes = 0
    /// Only durable votes: set by the writer after the vote file is in place.
    var vote: Vote?
    var committed: LogID?

    // What the segment files hold, maintained by the writer in record order.
    var disk = DiskIndex()
    var segments: [UInt64: SegmentFile] = [:]
    /// Every operation with a sequence number up to this one is reflected in `disk`.
    var writtenOperation: UInt64 = 0

    // The writer's queue.
    var queue: [QueuedOperation<Types>] = []
    var nextOperation: UInt64 = 1
    var pendingBytes = 0
    var pendingWaiters: [CheckedContinuation<Void, Never>] = []
    var failure: StorageError?
    var isClosed = false
    /// Test hook: while set the writer leaves the queue alone, so a test can enqueue a batch
    /// and have it written as one group.
    var writerSuspended = false

    var cacheFirstIndex: LogIndex { lastLogID.indexOrZero + 1 - LogIndex(cache.count) }

    @discardableResult
    mutating func enqueue(_ operation: WriteOperation<Types>) -> UInt64 {
        let sequence = nextOperation
        nextOperation += 1
        queue.append(QueuedOperation(sequence: sequence, operation: operation))
        return sequence
    }

    func checkUsable(_ directory: String) throws(StorageError) {
        if let failure { throw failure }
        if isClosed { throw .closed(directory) }
    }

    /// Drops cached entries after `index` (a truncation).
    mutating func removeCachedEntries(after index: LogIndex) {
        let count = Int(min(LogIndex(cache.count), lastLogID.indexOrZero - min(index, lastLogID.indexOrZero)))
        for _ in 0..<count { cacheBytes -= cache.removeLast().byteCount }
    }

    /// Drops cached entries up to and including `index` (a purge).
    mutating func removeCachedEntries(upTo index: LogIndex) {
        guard index >= cacheFirstIndex else { return }
        let count = Int(min(LogIndex(cache.count), index - cacheFirstIndex + 1))
        for _ in 0..<count { cacheBytes -= cache.removeFirst().byteCount }
    }

    /// Evicts the oldest cached entries beyond the bounds, but only those already written.
    mutating func trimCache(_ options: FileLogStoreOptions) {
        while cache.count > options.cacheMaxEntries || cacheBytes > options.cacheMaxBytes,
              let first = cache.first, first.operation <= writtenOperation {
            cacheBytes -= first.byteCount
            cache.removeFirst()
        }
    }
}
