import Raft
import RaftCore

/// What recovery hands to a new store.
@usableFromInline struct RecoveredLog {
    @inlinable init() {}

    @usableFromInline var replay = LogReplay()
    @usableFromInline var vote: Vote?
    @usableFromInline var segments: [SegmentFile] = []
    @usableFromInline var nextSegment: UInt64 = 1
    @usableFromInline var report = FileLogRecoveryReport()
}

/// Opens a log directory: verifies every segment and tells a torn, unacknowledged tail (cut
/// off) from damaged acknowledged data (a typed corruption error with the file and offset;
/// never silently dropped). The rules are ``SegmentVerifier``'s.
@usableFromInline struct LogRecovery {
    @usableFromInline let fileSystem: any FileSystem
    @usableFromInline let directory: String

    @inlinable init(fileSystem: any FileSystem, directory: String) {
        self.fileSystem = fileSystem
        self.directory = directory
    }

    @inlinable func run() throws(StorageError) -> RecoveredLog {
        let started = ContinuousClock.now
        var result = RecoveredLog()
        var directoryChanged = false
        let names = try withFile(.read, directory) { () throws(FileSystemError) in try fileSystem.list(directory) }
        if names.contains(RepairPlanFile.name) {
            throw StorageError.corruption(path: Paths.join(directory, RepairPlanFile.name), offset: nil,
                "a repair of this directory was interrupted: run FileLogStore.repair again before opening it")
        }

        if names.contains(MetaFile.temporaryName) {
            // A vote write that never reached its rename: that saveVote never returned.
            try remove(MetaFile.temporaryName, &result)
            directoryChanged = true
        }
        if names.contains(MetaFile.name) { result.vote = try readVote() }

        let sequences = names.compactMap(SegmentNaming.sequence).sorted()
        if let newest = sequences.last {
            // Only the newest run of consecutive segments is the log. Older segments before a gap
            // are leftovers of a purge cut short by a crash; the final check below proves that
            // everything they held was purged.
            var firstOfRun = sequences.count - 1
            while firstOfRun > 0 && sequences[firstOfRun - 1] == sequences[firstOfRun] - 1 { firstOfRun -= 1 }
            let run = sequences[firstOfRun...]
            result.nextSegment = newest + 1
            for sequence in run where try scanSegment(sequence, isLast: sequence == newest, into: &result) {
                // The newest segment never got a header, so it never held a record: its number
                // is reused, which keeps the run of segments free of gaps.
                result.nextSegment = sequence
                directoryChanged = true
            }
            if result.replay.unloadedUpTo > result.replay.purged.indexOrZero {
                let first = Paths.join(directory, SegmentNaming.name(run.first!))
                throw StorageError.corruption(path: first, offset: 0,
                    "entries \(result.replay.purged.indexOrZero + 1)...\(result.replay.unloadedUpTo) are missing: the segments before this one are gone but were never purged")
            }
            for sequence in sequences[..<firstOfRun] {
                try remove(SegmentNaming.name(sequence), &result)
                directoryChanged = true
            }
        }
        if directoryChanged {
            try withFile(.sync, directory) { () throws(FileSystemError) in try fileSystem.fsyncDirectory(directory) }
        }
        result.report.entriesRecovered = result.replay.disk.count
        result.report.duration = ContinuousClock.now - started
        return result
    }

    @inlinable func remove(_ name: String, _ result: inout RecoveredLog) throws(StorageError) {
        let path = Paths.join(directory, name)
        try withFile(.delete, path) { () throws(FileSystemError) in try fileSystem.unlink(path) }
        result.report.removedFiles.append(name)
    }

    @inlinable func readVote() throws(StorageError) -> Vote {
        let path = Paths.join(directory, MetaFile.name)
        let handle = try withFile(.open, path) { () throws(FileSystemError) in try fileSystem.open(path, [.read]) }
        defer { fileSystem.close(handle) }
        let bytes = try withFile(.read, path, offset: 0) { () throws(FileSystemError) in
            try fileSystem.read(handle, count: MetaFile.size + 1, at: 0)
        }
        guard let vote = MetaFile.decode(bytes) else {
            throw StorageError.corruption(path: path, offset: 0, "the vote file fails verification")
        }
        return vote
    }

    /// Verifies one segment and replays its records; returns true if it removed the file.
    @inlinable func scanSegment(_ sequence: UInt64, isLast: Bool, into result: inout RecoveredLog) throws(StorageError) -> Bool {
        let name = SegmentNaming.name(sequence)
        let path = Paths.join(directory, name)
        let handle = try withFile(.open, path) { () throws(FileSystemError) in try fileSystem.open(path, [.read, .write]) }
        var handleHandedOver = false
        defer { if !handleHandedOver { fileSystem.close(handle) } }
        let size = try withFile(.read, path) { () throws(FileSystemError) in try fileSystem.size(handle) }
        let bytes = try withFile(.read, path, offset: 0) { () throws(FileSystemError) in
            try fileSystem.read(handle, count: Int(size), at: 0)
        }
        result.report.segmentsScanned += 1
        result.report.bytesScanned += Int64(bytes.count)

        let verdict = SegmentVerifier.verify(bytes, sequence: sequence, isLast: isLast, into: &result.replay)
        let header: SegmentHeader
        switch verdict {
        case .badHeader:
            // The writer makes the header durable before writing any record, so an unreadable
            // header with nothing after it is a segment whose creation was cut short.
            if isLast && bytes.count <= SegmentHeader.size {
                try remove(name, &result)
                return true
            }
            throw StorageError.corruption(path: path, offset: 0, "segment header fails verification")
        case .doesNotJoin(_, let reason):
            throw StorageError.corruption(path: path, offset: Int64(SegmentVerifier.baseOffset), reason)
        case let .scanned(scannedHeader, validEnd, stop):
            header = scannedHeader
            switch stop {
            case .endOfFile:
                break
            case .damaged(let reason):
                throw StorageError.corruption(path: path, offset: Int64(validEnd), reason)
            case .tornTail:
                // A torn, never-acknowledged batch: cut it off so new segments follow a clean end.
                let end = Int64(validEnd)
                try withFile(.write, path, offset: end) { () throws(FileSystemError) in try fileSystem.ftruncate(handle, size: end) }
                try withFile(.sync, path) { () throws(FileSystemError) in try fileSystem.fsync(handle) }
                result.report.discardedTailBytes += Int64(bytes.count) - end
            }
        }
        result.segments.append(SegmentFile(sequence: sequence, path: path, handle: handle, recordSeed: header.recordSeed, fileSystem: fileSystem))
        handleHandedOver = true
        return false
    }
}
