import Raft
import RaftCore
@testable import RaftFileStore
import Testing

/// `FileLogStore.repair`: keeps the verified prefix, moves damage aside, reports every loss,
/// and leaves a store that opens and keeps working.
@Suite struct RepairTests {
    static let directory = "/data/log"
    static let vote = Vote(term: 1, votedFor: 1, committed: true)

    static var smallSegments: FileLogStoreOptions {
        var options = FileLogStoreOptions()
        options.segmentSizeBytes = 700
        options.cacheMaxEntries = 4
        return options
    }

    static func id(_ index: LogIndex, term: Term = 1) -> LogID { LogID(term: term, nodeID: 1, index: index) }

    static func open(_ disk: SimulatedFileSystem) throws(StorageError) -> FileLogStore<KVTypes> {
        try FileLogStore<KVTypes>(directory: directory, options: smallSegments, fileSystem: disk)
    }

    static func repair(_ disk: SimulatedFileSystem, dryRun: Bool = false) throws(StorageError) -> FileLogRepairReport {
        try FileLogStore<KVTypes>.repair(directory: directory, options: FileLogRepairOptions(dryRun: dryRun), fileSystem: disk)
    }

    static func append(_ store: FileLogStore<KVTypes>, _ ids: [LogID]) async throws {
        let acks = AckRecorder()
        try await store.append(ids.map(ScriptedWorkload.entry), onDurable: { acks.record($0, reached: 1) })
        await acks.wait(forCount: 1)
        #expect(!acks.failed)
    }

    /// A store holding the vote and entries 1...`count` of term 1, appended in groups of five,
    /// with the commit point at `count - 5`.
    static func healthyDisk(entries count: LogIndex = 30) async throws -> SimulatedFileSystem {
        let disk = SimulatedFileSystem()
        let store = try open(disk)
        try await store.saveVote(vote)
        var next: LogIndex = 1
        while next <= count {
            let last = min(next + 4, count)
            if last == count { try await store.saveCommitted(id(count - 5)) }
            try await append(store, (next...last).map { id($0) })
            next = last + 1
        }
        await store.close()
        return disk
    }

    static func contents(_ disk: SimulatedFileSystem, _ path: String) -> [UInt8]? {
        disk.snapshotImage(losing: .keepAllUnsynced).files[path]
    }

    static func segmentNames(_ disk: SimulatedFileSystem) -> [String] {
        disk.fileNames(in: directory).filter { SegmentNaming.sequence(of: $0) != nil }
    }

    /// The segment holding entry `index` and the record's offset in it.
    static func locate(_ index: LogIndex, _ disk: SimulatedFileSystem) -> (name: String, offset: Int)? {
        for name in segmentNames(disk) {
            if let offset = SegmentInspector.offset(ofEntry: index, in: contents(disk, Paths.join(directory, name))!) { return (name, offset) }
        }
        return nil
    }

    static func expectCorruptionOnOpen(_ disk: SimulatedFileSystem, _ comment: Comment) {
        do {
            _ = try open(disk)
            Issue.record("the damaged store opened: \(comment)")
        } catch {
            #expect(error.isCorruption, comment)
        }
    }

    /// The ids of every entry the store holds.
    static func logIDs(_ store: FileLogStore<KVTypes>) async throws -> [LogID] {
        let state = try await store.logState()
        return try await store.entries(in: 0..<(state.lastLogID.indexOrZero + 1)).map(\.logID)
    }

    // MARK: Tests

    @Test func bitFlipInAnAcknowledgedRecordKeepsTheVerifiedPrefix() async throws {
        let disk = try await Self.healthyDisk()
        let (damagedName, offset) = try #require(Self.locate(12, disk))
        let segments = Self.segmentNames(disk)
        #expect(segments.count > 2, "the log spans several segments")
        #expect(damagedName != segments.last, "entry 12 sits in a sealed segment")
        disk.flipBit(in: Paths.join(Self.directory, damagedName), at: offset + RecordLayout.headerSize + 2, bit: 3)
        let damagedBytes = try #require(Self.contents(disk, Paths.join(Self.directory, damagedName)))
        Self.expectCorruptionOnOpen(disk, "bit flip in entry 12")

        // A dry run reports the same and changes nothing.
        let before = disk.snapshotImage(losing: .keepAllUnsynced).files
        let preview = try Self.repair(disk, dryRun: true)
        #expect(preview.isDryRun && preview.requiresStorageLost && preview.firstLostIndex == 12)
        #expect(disk.snapshotImage(losing: .keepAllUnsynced).files == before)

        let report = try Self.repair(disk)
        #expect(report.lastGoodLogID == Self.id(11))
        #expect(report.firstLostIndex == 12)
        #expect(report.discardedLastLogID == Self.id(30), "later commit markers still name the lost end of the log")
        #expect(report.commitPointLost && !report.voteLost && report.vote == Self.vote)
        #expect(report.requiresStorageLost)
        #expect(report.description.contains("storageLost: true"))
        let laterSegments = segments.filter { $0 > damagedName }
        #expect(report.movedFiles == [damagedName] + laterSegments)
        #expect(report.rewrittenFiles == [damagedName])
        #expect(report.findings.count == 1 && report.findings[0].contains(damagedName))

        // The evidence is preserved, byte for byte.
        let folder = try #require(report.damagedFolder)
        #expect(folder.hasPrefix(Self.directory + "/damaged-"))
        #expect(Set(disk.fileNames(in: folder)) == Set(report.movedFiles + [LogRepair.reportName]))
        #expect(Self.contents(disk, Paths.join(folder, damagedName)) == damagedBytes)
        #expect(String(decoding: Self.contents(disk, Paths.join(folder, LogRepair.reportName))!, as: UTF8.self).contains("index 12"))

        // The store opens with the kept prefix, and appends continue from it and survive a restart.
        var store = try Self.open(disk)
        #expect(try await Self.logIDs(store) == (1...11).map { Self.id($0) })
        #expect(try await store.readVote() == Self.vote)
        #expect(try await store.readCommitted().indexOrZero <= 11)
        // As a node does, it saves the new leader's vote before taking its entries.
        try await store.saveVote(Vote(term: 2, votedFor: 2, committed: true))
        try await Self.append(store, [Self.id(12, term: 2), Self.id(13, term: 2)])
        await store.close()
        store = try Self.open(disk)
        #expect(try await Self.logIDs(store) == (1...11).map { Self.id($0) } + [Self.id(12, term: 2), Self.id(13, term: 2)])
        let entries = try await store.entries(in: 1..<14)
        let intact = entries.allSatisfy { entry in
            if case .command(let command) = entry.payload, case .command(let expected) = ScriptedWorkload.entry(entry.logID).payload {
                return command == expected
            }
            return false
        }
        #expect(intact, "payloads intact")
        await store.close()

        // Repairing the repaired store changes nothing, and mentions the earlier repair.
        let again = try Self.repair(disk)
        #expect(again.isNoOp && !again.requiresStorageLost && again.findings.isEmpty)
        #expect(again.earlierRepairs == [String(folder.dropFirst(Self.directory.count + 1))])
    }

    @Test func missingMiddleSegmentKeepsTheSegmentsBeforeTheGap() async throws {
        let disk = try await Self.healthyDisk(entries: 40)
        let segments = Self.segmentNames(disk)
        #expect(segments.count >= 5)
        let missing = segments[2]
        let lastKept = try #require(SegmentInspector.entryIDs(Self.contents(disk, Paths.join(Self.directory, segments[1]))!).last)
        try disk.unlink(Paths.join(Self.directory, missing))
        try disk.fsyncDirectory(Self.directory)
        Self.expectCorruptionOnOpen(disk, "missing \(missing)")

        let report = try Self.repair(disk)
        #expect(report.lastGoodLogID == lastKept)
        #expect(report.firstLostIndex == lastKept.index + 1)
        #expect(report.discardedLastLogID == Self.id(40))
        #expect(report.movedFiles == Array(segments[3...]))
        #expect(report.rewrittenFiles.isEmpty)
        #expect(report.requiresStorageLost && !report.voteLost)
        #expect(report.findings.contains { $0.contains("missing") })

        let store = try Self.open(disk)
        #expect(try await Self.logIDs(store) == (1...lastKept.index).map { Self.id($0) })
        try await Self.append(store, [Self.id(lastKept.index + 1, term: 2)])
        #expect(try await store.logState().lastLogID == Self.id(lastKept.index + 1, term: 2))
        await store.close()
    }

    @Test func corruptVoteFileIsMovedAsideAndReportedLost() async throws {
        let disk = try await Self.healthyDisk()
        let votePath = Paths.join(Self.directory, MetaFile.name)
        disk.flipBit(in: votePath, at: 17, bit: 0)
        Self.expectCorruptionOnOpen(disk, "flipped vote")

        let report = try Self.repair(disk)
        #expect(report.voteLost && report.vote == nil)
        #expect(report.requiresStorageLost)
        #expect(report.firstLostIndex == nil && !report.commitPointLost, "the log is intact")
        #expect(report.lastGoodLogID == Self.id(30))
        #expect(report.movedFiles == [MetaFile.name])
        #expect(disk.fileNames(in: try #require(report.damagedFolder)).contains(MetaFile.name))

        let store = try Self.open(disk)
        #expect(try await store.readVote() == nil)
        #expect(try await Self.logIDs(store) == (1...30).map { Self.id($0) })
        await store.close()

        // The vote is still missing while the log holds term 1: lost state, though nothing moves.
        let again = try Self.repair(disk)
        #expect(again.isNoOp && again.voteLost && again.requiresStorageLost)
    }

    @Test func missingVoteFileIsLostState() async throws {
        let disk = try await Self.healthyDisk()
        try disk.unlink(Paths.join(Self.directory, MetaFile.name))
        try disk.fsyncDirectory(Self.directory)
        let report = try Self.repair(disk)
        #expect(report.isNoOp && report.voteLost && report.requiresStorageLost && report.firstLostIndex == nil)
        #expect(report.findings.contains { $0.contains("missing") })
    }

    @Test func repairOfAHealthyStoreIsANoOp() async throws {
        let disk = try await Self.healthyDisk()
        let before = disk.snapshotImage(losing: .keepAllUnsynced)
        let report = try Self.repair(disk)
        #expect(report.isNoOp && report.findings.isEmpty)
        #expect(!report.requiresStorageLost && !report.voteLost && !report.commitPointLost)
        #expect(report.damagedFolder == nil && report.firstLostIndex == nil)
        #expect(report.lastGoodLogID == Self.id(30) && report.vote == Self.vote && report.committed == Self.id(25))
        let after = disk.snapshotImage(losing: .keepAllUnsynced)
        #expect(after.files.keys.sorted() == before.files.keys.sorted())
        #expect(after.files.filter { !$0.key.hasSuffix("/LOCK") } == before.files.filter { !$0.key.hasSuffix("/LOCK") })

        // An empty, never-used store too.
        let empty = SimulatedFileSystem()
        let emptyStore = try Self.open(empty)
        await emptyStore.close()
        let emptyReport = try Self.repair(empty)
        #expect(emptyReport.isNoOp && !emptyReport.requiresStorageLost && emptyReport.lastGoodLogID == nil)
    }

    /// Segments deleted by a purge leave the first surviving segment starting after entries
    /// that only the (discarded) purge record proves purged: repair restates that purge.
    @Test func cutBeforeThePurgeRecordRestatesThePurge() async throws {
        let disk = try await Self.healthyDisk(entries: 40)
        var store = try Self.open(disk)
        try await store.purge(upTo: Self.id(25))
        try await Self.append(store, (41...50).map { Self.id($0) })
        await store.close()

        let first = try #require(Self.segmentNames(disk).first)
        let firstBytes = try #require(Self.contents(disk, Paths.join(Self.directory, first)))
        let base = try #require(SegmentInspector.header(firstBytes)?.baseLogID)
        let entriesOfFirst = SegmentInspector.entryIDs(firstBytes)
        #expect(base.index < 25 && entriesOfFirst.last!.index > 26, "the first surviving segment straddles the purge point")
        let damaged = entriesOfFirst.last!
        let offset = try #require(SegmentInspector.offset(ofEntry: damaged.index, in: firstBytes))
        disk.flipBit(in: Paths.join(Self.directory, first), at: offset + RecordLayout.headerSize + 1, bit: 5)
        Self.expectCorruptionOnOpen(disk, "flip in the first segment after a purge")

        let report = try Self.repair(disk)
        #expect(report.lastGoodLogID == Self.id(damaged.index - 1))
        #expect(report.firstLostIndex == damaged.index)
        #expect(report.purged == base, "the purge of the entries before the first segment is restated")
        #expect(report.rewrittenFiles == [first])

        store = try Self.open(disk)
        let state = try await store.logState()
        #expect(state.lastPurgedLogID == base && state.lastLogID == Self.id(damaged.index - 1))
        #expect(try await Self.logIDs(store) == ((base.index + 1)..<damaged.index).map { Self.id($0) })
        await store.close()
    }

    /// A crash at any step of a repair leaves a store that either refuses to open or is fully
    /// repaired; running the repair again completes it, with the same kept log.
    @Test func repairSurvivesACrashAtEveryStep() async throws {
        let healthy = try await Self.healthyDisk(entries: 40)
        let (name, offset) = try #require(Self.locate(17, healthy))
        healthy.flipBit(in: Paths.join(Self.directory, name), at: offset + RecordLayout.headerSize + 4, bit: 1)
        let damaged = healthy.snapshotImage(losing: .dropAllUnsynced)
        let reference = SimulatedFileSystem(image: damaged)
        let expected = try Self.repair(reference)
        #expect(expected.firstLostIndex == 17)
        let calls = reference.mutatingCalls
        #expect(calls > 10)

        var resumed = 0
        var redone = 0
        for call in 1...calls {
            for mode in [LossMode.dropAllUnsynced, .keepAllUnsynced, .keepRandomPrefix(seed: UInt64(call))] {
                let context = "crash at call \(call), \(mode)"
                let crashing = SimulatedFileSystem(image: damaged)
                crashing.crash(atCall: call, losing: mode)
                #expect(throws: StorageError.self, "\(context): the repair reported success") { try Self.repair(crashing) }
                let image = try #require(crashing.crashImage, "\(context): never reached")

                if let store = try? Self.open(SimulatedFileSystem(image: image)) {
                    #expect(try await store.logState().lastLogID == Self.id(16), "\(context): opened with a different log")
                    await store.close()
                }
                let disk = SimulatedFileSystem(image: image)
                let report = try Self.repair(disk)
                #expect(report.requiresStorageLost || !report.earlierRepairs.isEmpty, "\(context): the loss went unreported")
                if report.resumedInterruptedRepair {
                    resumed += 1
                    // Equal but for the folder's timestamp, taken by a different run.
                    var planned = report
                    planned.resumedInterruptedRepair = false
                    planned.damagedFolder = expected.damagedFolder
                    #expect(planned == expected, "\(context): the resumed repair reports what the interrupted one planned")
                    #expect(report.damagedFolder?.hasPrefix(Self.directory + "/" + LogRepair.damagedPrefix) == true)
                } else if !report.isNoOp {
                    redone += 1
                }
                let store = try Self.open(disk)
                #expect(try await Self.logIDs(store) == (1...16).map { Self.id($0) }, "\(context)")
                await store.close()
            }
        }
        #expect(resumed > calls && redone > 0, "resumed \(resumed), redone \(redone): both paths are exercised")
    }
}
