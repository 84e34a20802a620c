import Synchronization
import Raft
import RaftCore

/// The writer thread: turns queued operations into records, writes each group with one
/// `pwrite` and one `fsync` (group commit), then publishes the new disk state and runs the
/// completions in order.
///
/// Everything that arrived while the previous fsync ran forms the next group, so the fsync
/// rate stays constant while the batch size grows with the load.
@usableFromInline final class LogWriter<Types: RaftTypeConfig>: @unchecked Sendable {
    // Owned by the writer thread alone after `start`; hence @unchecked.
    @usableFromInline let core: LogCore<Types>
    @inlinable var fileSystem: any FileSystem { core.fileSystem }
    @usableFromInline var active: SegmentFile?
    @usableFromInline var activeSize: Int64 = 0
    @usableFromInline var activeEntryRecords = 0
    @usableFromInline var nextSegment: UInt64
    @usableFromInline var buffer: [UInt8] = []
    @inlinable static var retainedBufferBytes: Int { 16 << 20 }
    /// Records written without an fsync (commit points ride along with the next group).
    @usableFromInline var hasUnsyncedWrites = false
    /// The log as the record stream describes it so far (for commit markers and headers).
    @usableFromInline var streamLast: LogID?
    @usableFromInline var streamPurged: LogID?
    @usableFromInline var streamCommitted: LogID?
    @usableFromInline var failure: StorageError?

    @usableFromInline enum Mutation {
        case append(LogIndex, DiskSlot)
        case truncate(after: LogIndex)
        case purge(upTo: LogIndex)
    }

    @usableFromInline enum Completion {
        case flush(LogFlushCallback)
        case done(WriteOperation<Types>.Completion)

        @inlinable func run(_ result: Result<Void, StorageError>) {
            switch self {
            case .flush(let callback): callback(result)
            case .done(let completion): completion(result)
            }
        }
    }

    // The group being assembled.
    @usableFromInline var mutations: [Mutation] = []
    @usableFromInline var completions: [Completion] = []
    @usableFromInline var groupLastOperation: UInt64 = 0
    @usableFromInline var groupBytes = 0
    @usableFromInline var groupNeedsSync = false
    @usableFromInline var groupPurged = false

    @inlinable init(core: LogCore<Types>, nextSegment: UInt64, streamLast: LogID?, streamPurged: LogID?, streamCommitted: LogID?) {
        self.core = core
        self.nextSegment = nextSegment
        self.streamLast = streamLast
        self.streamPurged = streamPurged
        self.streamCommitted = streamCommitted
    }

    @inlinable func start() {
        DedicatedThread.start { self.run() }
    }

    @inlinable func run() {
        var operations: [QueuedOperation<Types>] = []
        while true {
            core.wake.wait()
            core.state.withLock { state in
                if !state.writerSuspended { swap(&operations, &state.queue) }
            }
            if operations.isEmpty { continue }
            let closed = process(operations)
            operations.removeAll(keepingCapacity: true)
            if closed { return }
        }
    }

    /// Processes one batch; returns true once the store is closed.
    @inlinable func process(_ operations: [QueuedOperation<Types>]) -> Bool {
        var closed = false
        for queued in operations {
            if closed {
                fail(queued.operation, with: .closed(core.directory))
                continue
            }
            if let failure {
                if case .close(let completion) = queued.operation {
                    shutDown()
                    completion?(.success(()))
                    closed = true
                } else {
                    fail(queued.operation, with: failure)
                }
                continue
            }
            groupLastOperation = queued.sequence
            do {
                closed = try handle(queued.operation)
            } catch {
                failStore(error)
                if case .close(let completion) = queued.operation {
                    shutDown()
                    completion?(.success(()))
                    closed = true
                }
            }
        }
        if failure == nil && !closed {
            do {
                try flushGroup()
            } catch {
                failStore(error)
            }
        }
        return closed
    }

    /// Completions join the group before any work, so a failure half-way still answers them.
    @inlinable func handle(_ operation: WriteOperation<Types>) throws(StorageError) -> Bool {
        switch operation {
        case let .append(entries, onDurable, byteCount):
            completions.append(.flush(onDurable))
            groupBytes += byteCount
            groupNeedsSync = true
            for entry in entries { try appendEntryRecord(entry) }
        case let .truncate(logID, completion):
            completions.append(.done(completion))
            groupNeedsSync = true
            try appendLogIDRecord(.truncate, logID)
            mutations.append(.truncate(after: logID.indexOrZero))
            streamLast = logID.indexOrZero == streamPurged.indexOrZero ? streamPurged : logID
        case let .purge(logID, completion):
            completions.append(.done(completion))
            groupNeedsSync = true
            try appendLogIDRecord(.purge, logID)
            mutations.append(.purge(upTo: logID.index))
            streamPurged = logID
            if logID.index >= streamLast.indexOrZero { streamLast = logID }
            groupPurged = true
        case .committed(let logID):
            try appendLogIDRecord(.committed, logID)
            streamCommitted = logID
        case let .vote(vote, completion):
            // The vote file is separate from the segments; flushing first keeps the contract
            // that writes become durable in the order they were issued.
            do throws(StorageError) {
                try flushGroup()
                try writeVoteFile(vote)
            } catch {
                completion(.failure(error))
                throw error
            }
            core.state.withLock { $0.vote = vote }
            completion(.success(()))
        case .close(let completion):
            groupNeedsSync = groupNeedsSync || hasUnsyncedWrites || !buffer.isEmpty
            try flushGroup()
            shutDown()
            completion?(.success(()))
            return true
        }
        return false
    }

    // MARK: Records

    @inlinable func appendEntryRecord(_ entry: Entry<Types>) throws(StorageError) {
        var segment = try activeSegment()
        var start = buffer.count
        var length = try RecordWriter.append(.entry, seed: segment.recordSeed, to: &buffer) { bytes throws(StorageError) in
            try EntryRecord.appendPayload(entry, to: &bytes)
        }
        if activeEntryRecords > 0 && activeSize + Int64(buffer.count + RecordLayout.logIDRecordSize) > Int64(core.options.segmentSizeBytes) {
            // The record does not fit: seal this segment and write it again (with the new
            // segment's seed) at the start of the next one.
            buffer.removeSubrange(start...)
            try rollSegment()
            segment = try activeSegment()
            start = buffer.count
            length = try RecordWriter.append(.entry, seed: segment.recordSeed, to: &buffer) { bytes throws(StorageError) in
                try EntryRecord.appendPayload(entry, to: &bytes)
            }
        }
        let offset = activeSize + Int64(start)
        guard offset <= Int64(UInt32.max) else {
            throw StorageError(subject: .logEntry(entry.logID), verb: .write, reason: "entry does not fit in a segment")
        }
        activeEntryRecords += 1
        mutations.append(.append(entry.index, DiskSlot(segment: segment.sequence, offset: UInt32(offset), length: UInt32(length))))
        streamLast = entry.logID
    }

    @inlinable func appendLogIDRecord(_ type: RecordType, _ logID: LogID?) throws(StorageError) {
        let segment = try activeSegment()
        RecordWriter.appendLogIDRecord(type, logID, seed: segment.recordSeed, to: &buffer)
    }

    // MARK: Segments

    @inlinable func activeSegment() throws(StorageError) -> SegmentFile {
        if let active { return active }
        return try createSegment()
    }

    /// Seals the active segment (commit marker, fsync) and starts the next one.
    @inlinable func rollSegment() throws(StorageError) {
        try writeBuffer(sync: true)
        _ = try createSegment()
    }

    @inlinable func createSegment() throws(StorageError) -> SegmentFile {
        let sequence = nextSegment
        nextSegment += 1
        let path = Paths.join(core.directory, SegmentNaming.name(sequence))
        let header = SegmentHeader(sequence: sequence, nonce: UInt64.random(in: 1...UInt64.max), baseLogID: streamLast)
        let handle = try withFile(.open, path) { () throws(FileSystemError) in
            try fileSystem.open(path, [.read, .write, .create, .exclusive])
        }
        let segment = SegmentFile(sequence: sequence, path: path, handle: handle, recordSeed: header.recordSeed, fileSystem: fileSystem)
        // The header and the directory entry are durable before any record goes in, so a
        // segment with records always has a readable header.
        try withFile(.write, path, offset: 0) { () throws(FileSystemError) in try fileSystem.write(handle, header.encoded(), at: 0) }
        try withFile(.sync, path) { () throws(FileSystemError) in try fileSystem.fsync(handle) }
        try withFile(.sync, core.directory) { () throws(FileSystemError) in try fileSystem.fsyncDirectory(core.directory) }
        core.state.withLock { $0.segments[sequence] = segment }
        active = segment
        activeSize = Int64(SegmentHeader.size)
        activeEntryRecords = 0
        // Carry the purge and commit points forward, so the newest segments alone state them.
        if let streamPurged { RecordWriter.appendLogIDRecord(.purge, streamPurged, seed: segment.recordSeed, to: &buffer) }
        if let streamCommitted { RecordWriter.appendLogIDRecord(.committed, streamCommitted, seed: segment.recordSeed, to: &buffer) }
        return segment
    }

    /// Writes the buffer at the end of the active segment; with `sync`, ends it with a commit
    /// marker and fsyncs.
    @inlinable func writeBuffer(sync: Bool) throws(StorageError) {
        guard let active else { return }
        if sync { RecordWriter.appendLogIDRecord(.commitMarker, streamLast, seed: active.recordSeed, to: &buffer) }
        if !buffer.isEmpty {
            let offset = activeSize
            let handle = active.handle
            try withFile(.write, active.path, offset: offset) { () throws(FileSystemError) in
                try fileSystem.write(handle, buffer, at: offset)
            }
            activeSize += Int64(buffer.count)
            // Keep the buffer's memory for the next group, unless one huge group inflated it.
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedBufferBytes)
            hasUnsyncedWrites = true
        }
        if sync {
            // Never retried: see PosixFileSystem.fsync.
            try withFile(.sync, active.path) { () throws(FileSystemError) in try fileSystem.fsync(active.handle) }
            hasUnsyncedWrites = false
        }
    }

    /// Writes (and, if any operation needs it, syncs) the group, then publishes it.
    @inlinable func flushGroup() throws(StorageError) {
        if groupNeedsSync || !buffer.isEmpty {
            try writeBuffer(sync: groupNeedsSync)
        }
        let waiters = core.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            for mutation in mutations {
                switch mutation {
                case let .append(index, slot): state.disk.append(slot, at: index)
                case .truncate(let index): state.disk.truncate(after: index)
                case .purge(let index): state.disk.purge(upTo: index)
                }
            }
            state.writtenOperation = groupLastOperation
            state.pendingBytes -= groupBytes
            state.trimCache(core.options)
            guard state.pendingBytes <= core.options.maxPendingBytes else { return [] }
            defer { state.pendingWaiters.removeAll() }
            return state.pendingWaiters
        }
        for waiter in waiters { waiter.resume() }
        // Before the completions, so a purge returns with the space already freed.
        if groupPurged { try deleteObsoleteSegments() }
        let finished = completions
        resetGroup()
        for completion in finished { completion.run(.success(())) }
    }

    @inlinable func resetGroup() {
        mutations.removeAll(keepingCapacity: true)
        completions.removeAll(keepingCapacity: true)
        groupBytes = 0
        groupNeedsSync = false
        groupPurged = false
    }

    /// Deletes segments that hold only purged entries. Runs after the purge record is durable,
    /// so a crash in the middle leaves segments recovery knows to be obsolete.
    @inlinable func deleteObsoleteSegments() throws(StorageError) {
        guard let active else { return }
        let doomed = core.state.withLock { state -> [SegmentFile] in
            let limit = min(state.disk.firstSegment ?? active.sequence, active.sequence)
            let doomed = state.segments.values.filter { $0.sequence < limit }.sorted { $0.sequence < $1.sequence }
            for segment in doomed { state.segments[segment.sequence] = nil }
            return doomed
        }
        guard !doomed.isEmpty else { return }
        for segment in doomed {
            try withFile(.delete, segment.path) { () throws(FileSystemError) in try fileSystem.unlink(segment.path) }
        }
        try withFile(.sync, core.directory) { () throws(FileSystemError) in try fileSystem.fsyncDirectory(core.directory) }
    }

    // MARK: Vote

    @inlinable func writeVoteFile(_ vote: Vote) throws(StorageError) {
        let temporary = Paths.join(core.directory, MetaFile.temporaryName)
        let final = Paths.join(core.directory, MetaFile.name)
        let handle = try withFile(.open, temporary) { () throws(FileSystemError) in
            try fileSystem.open(temporary, [.write, .create, .truncate])
        }
        defer { fileSystem.close(handle) }
        try withFile(.write, temporary, offset: 0) { () throws(FileSystemError) in try fileSystem.write(handle, MetaFile.encode(vote), at: 0) }
        try withFile(.sync, temporary) { () throws(FileSystemError) in try fileSystem.fsync(handle) }
        try withFile(.write, final) { () throws(FileSystemError) in try fileSystem.rename(temporary, to: final) }
        try withFile(.sync, core.directory) { () throws(FileSystemError) in try fileSystem.fsyncDirectory(core.directory) }
    }

    // MARK: Failure and shutdown

    /// An I/O error is fatal: the group fails, later operations fail, and nothing is retried.
    @inlinable func failStore(_ error: StorageError) {
        failure = error
        let waiters = core.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.failure == nil { state.failure = error }
            defer { state.pendingWaiters.removeAll() }
            return state.pendingWaiters
        }
        for waiter in waiters { waiter.resume() }
        let failed = completions
        resetGroup()
        buffer.removeAll(keepingCapacity: true)
        for completion in failed { completion.run(.failure(error)) }
    }

    @inlinable func fail(_ operation: WriteOperation<Types>, with error: StorageError) {
        switch operation {
        case .append(_, let onDurable, _): onDurable(.failure(error))
        case .truncate(_, let completion), .purge(_, let completion), .vote(_, let completion): completion(.failure(error))
        case .committed: break
        case .close(let completion): completion?(.failure(error))
        }
    }

    @inlinable func shutDown() {
        active = nil
        let waiters = core.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.segments.removeAll()
            state.isClosed = true
            defer { state.pendingWaiters.removeAll() }
            return state.pendingWaiters
        }
        for waiter in waiters { waiter.resume() }
        fileSystem.close(core.directoryLock)
    }
}
