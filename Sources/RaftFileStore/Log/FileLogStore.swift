import DequeModule
import Synchronization
import Raft
import RaftCore

/// A durable Raft log in a directory of segment files, with group commit.
///
/// - Appends are readable at once and durable after the writer thread's next `fsync`, which
///   covers every operation that arrived while the previous one ran (one `pwrite` and one
///   `fsync` per group). The flush callback runs on the writer thread.
/// - Every record carries a CRC-32C; every synced group ends with a commit marker. On open, a
///   torn tail of an unacknowledged group is cut off, while damage to acknowledged data is
///   reported as a `StorageError` with `isCorruption` and the file and offset: the node must
///   not vote with a log it cannot trust, and nothing acknowledged is ever dropped silently.
///   ``repair(directory:options:)`` lets such a node rejoin as a non-voter.
/// - An I/O error (a failed `fsync`, `ENOSPC`) is fatal: the failed group's callbacks report
///   it and every later call throws it. Nothing acknowledged before it is lost.
/// - Memory is bounded: an index of 16 bytes per entry, plus a cache of recent entries (see
///   ``FileLogStoreOptions``); older entries are read back from disk.
/// - The vote lives in its own small file, replaced atomically. The commit point is a record
///   in the log stream: it becomes durable with the next synced group (the contract makes it
///   optional), which avoids an fsync per `saveCommitted`.
///
/// Opening recovers synchronously (it blocks the caller while it reads the segments).
public final class FileLogStore<Types: RaftTypeConfig>: RaftLogStorage {
    @usableFromInline let core: LogCore<Types>
    /// What opening the directory found.
    public let recoveryReport: FileLogRecoveryReport

    /// Opens (creating if needed) the log in `directory`.
    @inlinable public convenience init(directory: String, options: FileLogStoreOptions = FileLogStoreOptions()) throws(StorageError) {
        try self.init(directory: directory, options: options, fileSystem: PosixFileSystem())
    }

    @inlinable init(directory: String, options: FileLogStoreOptions, fileSystem: any FileSystem) throws(StorageError) {
        let options = options.validated
        try withFile(.open, directory) { () throws(FileSystemError) in try fileSystem.createDirectory(directory) }
        let lockPath = Paths.join(directory, "LOCK")
        let lock = try withFile(.open, lockPath) { () throws(FileSystemError) in try fileSystem.lock(lockPath) }
        let recovered: RecoveredLog
        do {
            recovered = try LogRecovery(fileSystem: fileSystem, directory: directory).run()
        } catch {
            fileSystem.close(lock)
            throw error
        }
        var state = SharedLogState<Types>()
        state.lastPurged = recovered.replay.purged
        state.lastLogID = recovered.replay.lastLogID
        state.committed = recovered.replay.committed
        state.vote = recovered.vote
        state.disk = recovered.replay.disk
        for segment in recovered.segments { state.segments[segment.sequence] = segment }
        core = LogCore(fileSystem: fileSystem, directory: directory, options: options, directoryLock: lock, state: state)
        recoveryReport = recovered.report
        LogWriter(core: core, nextSegment: recovered.nextSegment, streamLast: recovered.replay.lastLogID,
                  streamPurged: recovered.replay.purged, streamCommitted: recovered.replay.committed).start()
    }

    deinit {
        let enqueued = core.state.withLock { state -> Bool in
            guard !state.isClosed else { return false }
            state.isClosed = true
            state.writerSuspended = false
            state.enqueue(.close(nil))
            return true
        }
        if enqueued { core.wake.notify() }
    }

    /// Writes everything queued, syncs it, and closes the files. Later calls throw.
    @inlinable public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let enqueued = core.state.withLock { state -> Bool in
                guard !state.isClosed else { return false }
                state.isClosed = true
                state.writerSuspended = false
                state.enqueue(.close({ _ in continuation.resume() }))
                return true
            }
            if enqueued { core.wake.notify() } else { continuation.resume() }
        }
    }

    // MARK: RaftLogStorage

    @inlinable public func logState() async throws(StorageError) -> LogState {
        try core.state.withLock { state throws(StorageError) in
            try state.checkUsable(core.directory)
            return LogState(lastPurgedLogID: state.lastPurged, lastLogID: state.lastLogID)
        }
    }

    @inlinable nonisolated(nonsending) public func entries(in range: Range<LogIndex>) async throws(StorageError) -> [Entry<Types>] {
        var result: [Entry<Types>] = []
        let (runs, cached) = try core.state.withLock { state throws(StorageError) -> ([EntryReader<Types>.Run], [Entry<Types>]) in
            try state.checkUsable(core.directory)
            let lower = max(range.lowerBound, state.lastPurged.indexOrZero + 1)
            let upper = min(range.upperBound, state.lastLogID.indexOrZero + 1)
            guard lower < upper else { return ([], []) }
            let cacheFirst = state.cacheFirstIndex
            var runs: [EntryReader<Types>.Run] = []
            if lower < cacheFirst {
                guard let planned = EntryReader.plan(lower..<min(upper, cacheFirst), state) else {
                    throw StorageError(subject: .logRange(lower..<upper), verb: .read, reason: "entries missing from the index")
                }
                runs = planned
            }
            let cachedLower = Int(max(lower, cacheFirst) - cacheFirst)
            let cachedUpper = Int(max(upper, cacheFirst) - cacheFirst)
            var cached: [Entry<Types>] = []
            cached.reserveCapacity(cachedUpper - cachedLower)
            for position in cachedLower..<cachedUpper { cached.append(state.cache[position].entry) }
            return (runs, cached)
        }
        result.reserveCapacity(runs.reduce(0) { $0 + $1.slots.count } + cached.count)
        if runs.isEmpty { return cached }
        try EntryReader.read(runs, fileSystem: core.fileSystem, into: &result)
        result.append(contentsOf: cached)
        return result
    }

    @inlinable nonisolated(nonsending) public func append(_ entries: [Entry<Types>], onDurable: @escaping LogFlushCallback) async throws(StorageError) {
        let mustWait = try core.state.withLock { state throws(StorageError) -> Bool in
            try state.checkUsable(core.directory)
            var expected = state.lastLogID.indexOrZero + 1
            for entry in entries {
                guard entry.index == expected else {
                    throw StorageError(subject: .logEntry(entry.logID), verb: .write, reason: "non-contiguous append: expected index \(expected)")
                }
                expected += 1
            }
            let sequence = state.nextOperation
            var byteCount = 0
            for entry in entries {
                let size = entry.byteCount
                state.cache.append(CachedEntry(entry: entry, operation: sequence, byteCount: size))
                byteCount += size
            }
            state.cacheBytes += byteCount
            if let last = entries.last { state.lastLogID = last.logID }
            state.enqueue(.append(entries, onDurable: onDurable, byteCount: byteCount))
            state.pendingBytes += byteCount
            state.trimCache(core.options)
            return state.pendingBytes > core.options.maxPendingBytes
        }
        core.wake.notify()
        if mustWait { await core.waitForPendingBytes() }
    }

    @inlinable nonisolated(nonsending) public func truncate(after logID: LogID?) async throws(StorageError) {
        let directory = core.directory
        try await core.submit { state, completion throws(StorageError) in
            try state.checkUsable(directory)
            guard logID.indexOrZero >= state.lastPurged.indexOrZero else {
                throw StorageError(subject: .logEntry(logID), verb: .delete,
                                   reason: "truncation below the purge point \(state.lastPurged.map(\.description) ?? "-")")
            }
            guard logID.indexOrZero < state.lastLogID.indexOrZero else { return nil }
            state.removeCachedEntries(after: logID.indexOrZero)
            state.lastLogID = logID.indexOrZero == state.lastPurged.indexOrZero ? state.lastPurged : logID
            return .truncate(after: logID, completion)
        }
    }

    @inlinable nonisolated(nonsending) public func purge(upTo logID: LogID) async throws(StorageError) {
        let directory = core.directory
        try await core.submit { state, completion throws(StorageError) in
            try state.checkUsable(directory)
            guard logID.index > state.lastPurged.indexOrZero else { return nil }
            if logID.index >= state.lastLogID.indexOrZero {
                state.cache.removeAll()
                state.cacheBytes = 0
                state.lastLogID = logID
            } else {
                state.removeCachedEntries(upTo: logID.index)
            }
            state.lastPurged = logID
            return .purge(upTo: logID, completion)
        }
    }

    @inlinable nonisolated(nonsending) public func saveVote(_ vote: Vote) async throws(StorageError) {
        let directory = core.directory
        try await core.submit { state, completion throws(StorageError) in
            try state.checkUsable(directory)
            return .vote(vote, completion)
        }
    }

    @inlinable public func readVote() async throws(StorageError) -> Vote? {
        try core.state.withLock { state throws(StorageError) in
            try state.checkUsable(core.directory)
            return state.vote
        }
    }

    /// Records the commit point; it reaches disk with the next synced group (or `close`).
    @inlinable nonisolated(nonsending) public func saveCommitted(_ committed: LogID?) async throws(StorageError) {
        try core.state.withLock { state throws(StorageError) in
            try state.checkUsable(core.directory)
            state.committed = committed
            // No wake-up: the record rides along with the next group, costing no fsync.
            state.enqueue(.committed(committed))
        }
    }

    @inlinable public func readCommitted() async throws(StorageError) -> LogID? {
        try core.state.withLock { state throws(StorageError) in
            try state.checkUsable(core.directory)
            return state.committed
        }
    }

    // MARK: Test hooks

    /// Holds the writer so that everything enqueued until `resumeWriter` forms one group.
    @inlinable func suspendWriter() {
        core.state.withLock { $0.writerSuspended = true }
    }

    @inlinable func resumeWriter() {
        core.state.withLock { $0.writerSuspended = false }
        core.wake.notify()
    }
}
