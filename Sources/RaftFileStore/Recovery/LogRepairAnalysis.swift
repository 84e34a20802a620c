import Raft
import RaftCore

/// What the discarded part of a log still proves, from records that verify on their own
/// (found by resynchronizing at 8-byte boundaries past damage).
@usableFromInline struct DiscardedEvidence {
    /// The newest log id an entry, commit marker or purge record names.
    @usableFromInline var newest: LogID?
    /// The highest purge point recorded.
    @usableFromInline var purgedUpTo: LogID?
    /// The lowest index a truncation kept ("entries after this were deleted").
    @usableFromInline var truncatedAfter: LogIndex?

    @inlinable mutating func note(newest logID: LogID?) {
        if let logID, newest.map({ $0 < logID }) ?? true { newest = logID }
    }

    @inlinable mutating func note(purge logID: LogID) {
        if purgedUpTo.map({ $0.index < logID.index }) ?? true { purgedUpTo = logID }
        note(newest: logID)
    }

    @inlinable mutating func note(truncateAfter logID: LogID?) {
        truncatedAfter = min(truncatedAfter ?? .max, logID.indexOrZero)
    }
}

/// Inspects a log directory without changing it and decides what a repair keeps: the longest
/// verified prefix of the log, replayed with its truncations and purges exactly as opening
/// would, and what must move aside.
///
/// Segments form runs of consecutive sequence numbers. The newest run is the log unless the
/// entries before its first segment were never purged: then a segment in the middle is
/// missing, and the log's prefix is the run before the gap. Within a run, the prefix ends
/// before the first record, header or join that fails verification. A prefix that starts
/// after entries it cannot prove purged (because the purge record was lost with the
/// discarded data) is accepted only if the discarded data still holds a readable purge record
/// covering them; repair then restates that purge in the kept log.
@usableFromInline struct LogRepairAnalysis {
    @usableFromInline let fileSystem: any FileSystem
    @usableFromInline let directory: String

    @inlinable init(fileSystem: any FileSystem, directory: String) {
        self.fileSystem = fileSystem
        self.directory = directory
    }

    /// The decision.
    @usableFromInline struct Result {
        @inlinable init() {}

        /// Log findings (each means data was discarded).
        @usableFromInline var findings: [String] = []
        /// The log the directory holds after the repair.
        @usableFromInline var kept = LogReplay()
        /// Segments to move aside whole.
        @usableFromInline var discarded: [UInt64] = []
        /// The last kept segment, when it must be written anew.
        @usableFromInline var rewrite: RepairPlan.Rewrite?
        @usableFromInline var evidence = DiscardedEvidence()
        /// The vote file's vote, if it verifies.
        @usableFromInline var vote: Vote?
        /// Why the vote file must move aside, if it must.
        @usableFromInline var voteDamage: String?
        /// Why the vote counts as lost, if it does.
        @usableFromInline var voteLoss: String?

        @inlinable var logCut: Bool { !findings.isEmpty }
    }

    /// One run of segments, verified up to its first damage.
    @usableFromInline struct RunScan {
        @inlinable init() {}

        @usableFromInline var replay = LogReplay()
        /// The last segment that keeps data, and how many of its bytes are verified.
        @usableFromInline var end: (sequence: UInt64, keptBytes: Int)?
        /// Whether the end segment itself holds damage after `keptBytes`.
        @usableFromInline var endIsCut = false
        /// The run's segments after `end`.
        @usableFromInline var discarded: [UInt64] = []
        @usableFromInline var finding: String?
    }

    @inlinable func run() throws(StorageError) -> Result {
        var result = Result()
        let names = try withFile(.read, directory) { () throws(FileSystemError) in try fileSystem.list(directory) }
        try analyzeLog(names, &result)
        try analyzeVote(names, &result)
        return result
    }

    // MARK: Log

    @inlinable func analyzeLog(_ names: [String], _ result: inout Result) throws(StorageError) {
        let sequences = names.compactMap(SegmentNaming.sequence).sorted()
        var runs: [[UInt64]] = []
        for sequence in sequences {
            if let last = runs.last?.last, last + 1 == sequence { runs[runs.count - 1].append(sequence) } else { runs.append([sequence]) }
        }
        for runIndex in runs.indices.reversed() {
            var scan = try scanRun(runs[runIndex], isNewestRun: runIndex == runs.count - 1)
            if let finding = scan.finding { result.findings.append(finding) }
            if let end = scan.end, scan.endIsCut { try salvage(end.sequence, from: end.keptBytes, into: &result.evidence) }
            for sequence in scan.discarded { try salvage(sequence, from: 0, into: &result.evidence) }

            // The run keeps something if it verified whole, or up to damage after its first header.
            var keep = scan.finding == nil || scan.end != nil
            var purgeProof: LogID?
            if keep && scan.replay.unloadedUpTo > scan.replay.purged.indexOrZero {
                if let proof = result.evidence.purgedUpTo, proof.index >= scan.replay.unloadedUpTo, let unloaded = scan.replay.unloadedUpToID {
                    purgeProof = unloaded
                } else {
                    result.findings.append("entries \(scan.replay.purged.indexOrZero + 1)...\(scan.replay.unloadedUpTo) are missing: "
                        + "the segments before \(SegmentNaming.name(runs[runIndex][0])) are gone but were never purged")
                    keep = false
                }
            }
            if keep {
                result.discarded += scan.discarded
                if let purgeProof { scan.replay.purge(upTo: purgeProof) }
                if let end = scan.end, scan.endIsCut || purgeProof != nil {
                    result.rewrite = RepairPlan.Rewrite(sequence: end.sequence, keptBytes: end.keptBytes,
                                                        purgeUpTo: purgeProof, marker: scan.replay.lastLogID)
                }
                result.kept = scan.replay
                return
            }
            // Nothing of this run can be kept: it is discarded whole, and the run before it tried.
            let alreadySalvaged = Set(scan.discarded)
            for sequence in runs[runIndex] where !alreadySalvaged.contains(sequence) {
                if let end = scan.end, end.sequence == sequence, scan.endIsCut {
                    try salvage(sequence, from: 0, upTo: end.keptBytes, into: &result.evidence)
                } else {
                    try salvage(sequence, from: 0, into: &result.evidence)
                }
            }
            result.discarded += runs[runIndex]
        }
        // No run could be kept: the log starts empty.
        result.kept = LogReplay()
    }

    /// Verifies the segments of one run in order, stopping at the first damage.
    @inlinable func scanRun(_ run: [UInt64], isNewestRun: Bool) throws(StorageError) -> RunScan {
        var scan = RunScan()
        for (position, sequence) in run.enumerated() {
            let isLast = isNewestRun && position == run.count - 1
            let name = SegmentNaming.name(sequence)
            let bytes = try readFile(name)
            switch SegmentVerifier.verify(bytes, sequence: sequence, isLast: isLast, into: &scan.replay) {
            case .badHeader:
                // A newest segment whose creation was cut short holds nothing; opening removes it.
                if isLast && bytes.count <= SegmentHeader.size { return scan }
                scan.finding = "\(name) at offset 0: segment header fails verification"
                scan.discarded = Array(run[position...])
                return scan
            case .doesNotJoin(_, let reason):
                scan.finding = "\(name) at offset \(SegmentVerifier.baseOffset): \(reason)"
                scan.discarded = Array(run[position...])
                return scan
            case let .scanned(_, validEnd, stop):
                scan.end = (sequence, validEnd)
                if case .damaged(let reason) = stop {
                    scan.finding = "\(name) at offset \(validEnd): \(reason)"
                    scan.endIsCut = true
                    scan.discarded = Array(run[(position + 1)...])
                    return scan
                }
            }
        }
        return scan
    }

    /// Collects what the records of segment `sequence` between `start` and `end` that verify
    /// on their own still say. A damaged header leaves nothing to verify records against.
    @inlinable func salvage(_ sequence: UInt64, from start: Int, upTo end: Int? = nil, into evidence: inout DiscardedEvidence) throws(StorageError) {
        let full = try readFile(SegmentNaming.name(sequence))
        guard let header = SegmentHeader.parse(full), header.sequence == sequence else { return }
        let bytes = end.map { Array(full[..<min($0, full.count)]) } ?? full
        let seed = header.recordSeed
        var position = max(start, SegmentHeader.size)
        while position + RecordLayout.headerSize <= bytes.count {
            guard let record = RecordHeader.parse(bytes, at: position),
                  record.payloadLength <= bytes.count - position - RecordLayout.headerSize,
                  RecordHeader.checksumMatches(bytes, at: position, payloadLength: record.payloadLength, seed: seed)
            else {
                position += RecordLayout.alignment
                continue
            }
            let payload = position + RecordLayout.headerSize
            switch record.type {
            case .entry:
                evidence.note(newest: EntryRecord.logID(bytes, payloadAt: payload, length: record.payloadLength))
            case .commitMarker, .truncate, .purge, .committed:
                if record.payloadLength == LogIDField.byteCount, let logID = LogIDField.read(bytes, at: payload) {
                    switch record.type {
                    case .commitMarker: evidence.note(newest: logID)
                    case .truncate: evidence.note(truncateAfter: logID)
                    case .purge: if let logID { evidence.note(purge: logID) }
                    default: break
                    }
                }
            }
            position += RecordLayout.paddedSize(payloadLength: record.payloadLength)
        }
    }

    // MARK: Vote

    /// The vote file must verify, and (since a node saves a leader's vote before accepting its
    /// entries) hold a term no older than any entry or purge point of the log.
    @inlinable func analyzeVote(_ names: [String], _ result: inout Result) throws(StorageError) {
        if names.contains(MetaFile.name) {
            do throws(StorageError) {
                let bytes = try readFile(MetaFile.name, limit: MetaFile.size + 1)
                if let vote = MetaFile.decode(bytes) {
                    result.vote = vote
                } else {
                    result.voteDamage = "\(MetaFile.name) at offset 0: the vote file fails verification"
                }
            } catch {
                result.voteDamage = "\(MetaFile.name): the vote file is unreadable: \(error.reason)"
            }
        }
        let logTerm = [result.kept.lastLogID, result.kept.purged, result.evidence.newest].compactMap { $0?.term }.max() ?? 0
        let voteTerm = result.vote?.term ?? 0
        if let damage = result.voteDamage {
            result.voteLoss = damage
        } else if voteTerm < logTerm {
            result.voteLoss = result.vote == nil
                ? "the vote file is missing, but the log holds term \(logTerm)"
                : "the vote (term \(voteTerm)) is older than term \(logTerm) in the log"
        }
    }

    // MARK: Files

    @inlinable func readFile(_ name: String, limit: Int? = nil) throws(StorageError) -> [UInt8] {
        let path = Paths.join(directory, name)
        let handle = try withFile(.open, path) { () throws(FileSystemError) in try fileSystem.open(path, [.read]) }
        defer { fileSystem.close(handle) }
        return try withFile(.read, path, offset: 0) { () throws(FileSystemError) in
            let size = Int(try fileSystem.size(handle))
            return try fileSystem.read(handle, count: min(size, limit ?? size), at: 0)
        }
    }
}
