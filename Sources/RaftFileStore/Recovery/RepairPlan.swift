import Raft
import RaftCore

/// Everything a repair changes, decided before the first change and stored in the log
/// directory (`repair-plan`) while it runs. Opening refuses a directory holding a plan, and a
/// new repair finishes the stored plan, so a crash in the middle of a repair never leaves a
/// log that opens with data silently missing.
@usableFromInline struct RepairPlan: Codable, Equatable {
    /// The last kept segment, written anew: its first `keptBytes` (header and verified
    /// records), an optional purge record, then a commit marker.
    @usableFromInline struct Rewrite: Codable, Equatable {
        @usableFromInline var sequence: UInt64
        @usableFromInline var keptBytes: Int
        /// Restates a purge that only the discarded data recorded (see ``LogRepairAnalysis``).
        @usableFromInline var purgeUpTo: LogID?
        /// The kept log's last id.
        @usableFromInline var marker: LogID?

        @inlinable init(sequence: UInt64, keptBytes: Int, purgeUpTo: LogID? = nil, marker: LogID? = nil) {
            self.sequence = sequence
            self.keptBytes = keptBytes
            self.purgeUpTo = purgeUpTo
            self.marker = marker
        }
    }

    /// The folder (a name inside the log directory) that receives the damaged files.
    @usableFromInline var damagedFolder: String
    /// Files moved into the damaged folder whole (segments after the cut, the vote file).
    @usableFromInline var moves: [String]
    @usableFromInline var rewrite: Rewrite?
    /// The report the repair hands back.
    @usableFromInline var report: FileLogRepairReport

    @inlinable init(damagedFolder: String, moves: [String], rewrite: Rewrite? = nil, report: FileLogRepairReport) {
        self.damagedFolder = damagedFolder
        self.moves = moves
        self.rewrite = rewrite
        self.report = report
    }
}

/// The plan file: magic "SRAFTRPL", format version, payload length, the plan in the binary
/// coder, CRC-32C of all that. Written to a temporary name, synced and renamed into place.
@usableFromInline enum RepairPlanFile {
    @usableFromInline static let name = "repair-plan"
    @usableFromInline static let temporaryName = "repair-plan.tmp"
    @usableFromInline static let magic: [UInt8] = Array("SRAFTRPL".utf8)
    @usableFromInline static let version: UInt32 = 1

    @inlinable static func encode(_ plan: RepairPlan) throws(StorageError) -> [UInt8] {
        let payload: [UInt8]
        do {
            payload = try BinaryEncoder().encode(plan)
        } catch {
            throw StorageError(subject: .logState, verb: .write, reason: "cannot encode the repair plan: \(error)")
        }
        var bytes = magic
        bytes.appendLE(version)
        bytes.appendLE(UInt32(payload.count))
        bytes.append(contentsOf: payload)
        bytes.appendLE(CRC32C.checksum(bytes))
        return bytes
    }

    /// Nil when the bytes are not a valid plan file.
    @inlinable static func decode(_ bytes: [UInt8]) -> RepairPlan? {
        let fixed = magic.count + 8
        guard bytes.count >= fixed + 4, Array(bytes[0..<magic.count]) == magic, bytes.loadLE32(at: magic.count) == version else { return nil }
        let length = Int(bytes.loadLE32(at: magic.count + 4))
        guard bytes.count == fixed + length + 4, CRC32C.checksum(bytes[0..<(fixed + length)]) == bytes.loadLE32(at: fixed + length) else { return nil }
        return try? BinaryDecoder().decode(RepairPlan.self, from: bytes, in: fixed..<(fixed + length))
    }
}

/// Runs a repair: inspects, plans, stores the plan, carries it out, verifies the result, and
/// removes the plan. Every step is idempotent, so running it again after a crash finishes the
/// stored plan.
@usableFromInline struct LogRepair {
    @usableFromInline let fileSystem: any FileSystem
    @usableFromInline let directory: String
    @usableFromInline let options: FileLogRepairOptions

    @inlinable init(fileSystem: any FileSystem, directory: String, options: FileLogRepairOptions) {
        self.fileSystem = fileSystem
        self.directory = directory
        self.options = options
    }

    @usableFromInline static let reportName = "repair-report.txt"
    @usableFromInline static let damagedPrefix = "damaged-"
    @usableFromInline static let rewriteSuffix = ".repair"

    @inlinable func run() throws(StorageError) -> FileLogRepairReport {
        // Fails for a missing directory: a repair never creates one.
        _ = try list(directory)
        let lockPath = Paths.join(directory, "LOCK")
        let lock = try withFile(.open, lockPath) { () throws(FileSystemError) in try fileSystem.lock(lockPath) }
        defer { fileSystem.close(lock) }

        let names = try list(directory)
        if names.contains(RepairPlanFile.name) {
            let plan = try readPlan()
            var report = plan.report
            report.resumedInterruptedRepair = true
            if options.dryRun {
                report.isDryRun = true
                return report
            }
            try execute(plan)
            return report
        }

        let analysis = try LogRepairAnalysis(fileSystem: fileSystem, directory: directory).run()
        var report = FileLogRepairReport(directory: directory)
        report.earlierRepairs = names.filter { $0.hasPrefix(Self.damagedPrefix) && isDirectory(path($0)) }.sorted()
        report.findings = analysis.findings + (analysis.voteDamage.map { [$0] } ?? [])
        report.lastGoodLogID = analysis.kept.lastLogID
        report.purged = analysis.kept.purged
        report.committed = analysis.kept.committed
        report.discardedLastLogID = analysis.evidence.newest
        if analysis.logCut {
            let afterKept = analysis.kept.lastLogID.indexOrZero + 1
            let afterTruncation = analysis.evidence.truncatedAfter.map { max($0, analysis.kept.purged.indexOrZero) + 1 } ?? afterKept
            report.firstLostIndex = min(afterKept, afterTruncation)
            report.commitPointLost = true
        }
        report.voteLost = analysis.voteLoss != nil
        report.vote = analysis.voteDamage == nil ? analysis.vote : nil
        if let loss = analysis.voteLoss, analysis.voteDamage == nil { report.findings.append(loss) }

        var moves = analysis.discarded.map(SegmentNaming.name)
        if analysis.voteDamage != nil { moves.append(MetaFile.name) }
        report.movedFiles = (moves + (analysis.rewrite.map { [SegmentNaming.name($0.sequence)] } ?? [])).sorted()
        report.rewrittenFiles = analysis.rewrite.map { [SegmentNaming.name($0.sequence)] } ?? []
        report.isDryRun = options.dryRun
        guard !report.isNoOp else { return report }

        let folder = damagedFolderName(existing: Set(names))
        report.damagedFolder = Paths.join(directory, folder)
        guard !options.dryRun else { return report }
        let plan = RepairPlan(damagedFolder: folder, moves: moves, rewrite: analysis.rewrite, report: report)
        if names.contains(RepairPlanFile.temporaryName) {
            try withFile(.delete, path(RepairPlanFile.temporaryName)) { () throws(FileSystemError) in
                try fileSystem.unlink(path(RepairPlanFile.temporaryName))
            }
        }
        try writeDurably(RepairPlanFile.encode(plan), to: path(RepairPlanFile.temporaryName))
        try withFile(.write, path(RepairPlanFile.name)) { () throws(FileSystemError) in
            try fileSystem.rename(path(RepairPlanFile.temporaryName), to: path(RepairPlanFile.name))
        }
        try syncDirectory(directory)
        try execute(plan)
        return report
    }

    // MARK: Carrying out a plan

    @inlinable func execute(_ plan: RepairPlan) throws(StorageError) {
        let damaged = path(plan.damagedFolder)
        try withFile(.open, damaged) { () throws(FileSystemError) in try fileSystem.createDirectory(damaged) }
        for name in plan.moves where try exists(name, in: directory) {
            try rename(path(name), to: Paths.join(damaged, name))
        }
        try syncDirectory(damaged)
        try syncDirectory(directory)
        if let rewrite = plan.rewrite { try apply(rewrite, damaged: damaged) }

        var text = plan.report.description
        text.append("\n")
        try writeDurably(Array(text.utf8), to: Paths.join(damaged, Self.reportName))
        try syncDirectory(damaged)

        // The directory must now open cleanly with exactly the planned log.
        let check = try LogRepairAnalysis(fileSystem: fileSystem, directory: directory).run()
        let remaining = check.findings + (check.voteDamage.map { [$0] } ?? [])
        guard remaining.isEmpty, check.kept.lastLogID == plan.report.lastGoodLogID, check.kept.purged == plan.report.purged else {
            throw StorageError(subject: .file(path: path(RepairPlanFile.name), offset: nil), verb: .write,
                reason: "the repaired log does not verify (\(remaining.joined(separator: "; "))); the plan is kept", isCorruption: true)
        }
        try withFile(.delete, path(RepairPlanFile.name)) { () throws(FileSystemError) in try fileSystem.unlink(path(RepairPlanFile.name)) }
        try syncDirectory(directory)
    }

    /// Replaces the last kept segment by its verified prefix, keeping the original in the
    /// damaged folder. The replacement is durable under a temporary name before the original
    /// moves, so a crash at any point leaves either the original or the replacement findable.
    @inlinable func apply(_ rewrite: RepairPlan.Rewrite, damaged: String) throws(StorageError) {
        let name = SegmentNaming.name(rewrite.sequence)
        let live = path(name)
        let temporary = live + Self.rewriteSuffix
        if try !exists(name, in: damaged) {
            let bytes = try read(live)
            guard bytes.count >= rewrite.keptBytes, let header = SegmentHeader.parse(bytes), header.sequence == rewrite.sequence else {
                throw StorageError.corruption(path: live, offset: 0, "the segment changed since the repair was planned")
            }
            var replacement = Array(bytes[..<rewrite.keptBytes])
            if let purge = rewrite.purgeUpTo {
                RecordWriter.appendLogIDRecord(.purge, purge, seed: header.recordSeed, to: &replacement)
            }
            RecordWriter.appendLogIDRecord(.commitMarker, rewrite.marker, seed: header.recordSeed, to: &replacement)
            try writeDurably(replacement, to: temporary)
            try syncDirectory(directory)
            try rename(live, to: Paths.join(damaged, name))
            try syncDirectory(damaged)
            try syncDirectory(directory)
        }
        if try exists(name + Self.rewriteSuffix, in: directory) {
            try rename(temporary, to: live)
            try syncDirectory(directory)
        }
    }

    // MARK: Files

    @inlinable func path(_ name: String) -> String { Paths.join(directory, name) }

    @inlinable func list(_ directory: String) throws(StorageError) -> [String] {
        try withFile(.read, directory) { () throws(FileSystemError) in try fileSystem.list(directory) }
    }

    @inlinable func exists(_ name: String, in directory: String) throws(StorageError) -> Bool {
        try list(directory).contains(name)
    }

    @inlinable func isDirectory(_ path: String) -> Bool {
        (try? fileSystem.list(path)) != nil
    }

    @inlinable func rename(_ from: String, to: String) throws(StorageError) {
        try withFile(.write, from) { () throws(FileSystemError) in try fileSystem.rename(from, to: to) }
    }

    @inlinable func syncDirectory(_ directory: String) throws(StorageError) {
        try withFile(.sync, directory) { () throws(FileSystemError) in try fileSystem.fsyncDirectory(directory) }
    }

    @inlinable func read(_ path: String) throws(StorageError) -> [UInt8] {
        let handle = try withFile(.open, path) { () throws(FileSystemError) in try fileSystem.open(path, [.read]) }
        defer { fileSystem.close(handle) }
        return try withFile(.read, path, offset: 0) { () throws(FileSystemError) in
            try fileSystem.read(handle, count: Int(try fileSystem.size(handle)), at: 0)
        }
    }

    /// Writes `bytes` as the whole content of `path` and syncs it (not its directory entry).
    @inlinable func writeDurably(_ bytes: [UInt8], to path: String) throws(StorageError) {
        let handle = try withFile(.open, path) { () throws(FileSystemError) in
            try fileSystem.open(path, [.write, .create, .truncate])
        }
        defer { fileSystem.close(handle) }
        try withFile(.write, path, offset: 0) { () throws(FileSystemError) in try fileSystem.write(handle, bytes, at: 0) }
        try withFile(.sync, path) { () throws(FileSystemError) in try fileSystem.fsync(handle) }
    }

    @inlinable func readPlan() throws(StorageError) -> RepairPlan {
        let planPath = path(RepairPlanFile.name)
        guard let plan = RepairPlanFile.decode(try read(planPath)) else {
            throw StorageError.corruption(path: planPath, offset: 0, "the plan of an interrupted repair fails verification")
        }
        return plan
    }

    /// `damaged-<UTC timestamp>`, with a counter if a folder of that name exists.
    @inlinable func damagedFolderName(existing: Set<String>) -> String {
        let base = Self.damagedPrefix + RepairClock.utcTimestamp()
        var candidate = base
        var counter = 2
        while existing.contains(candidate) || isDirectory(path(candidate)) {
            candidate = "\(base)-\(counter)"
            counter += 1
        }
        return candidate
    }
}
