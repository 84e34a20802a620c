import Raft
import RaftCore
@testable import RaftFileStore
import Testing

/// I/O errors and leftovers of crashes, one at a time.
@Suite struct FaultInjectionTests {
    let directory = "/data/log"

    func entries(_ range: ClosedRange<LogIndex>, term: Term = 1) -> [Entry<KVTypes>] {
        range.map { ScriptedWorkload.entry(LogID(term: term, nodeID: 1, index: $0)) }
    }

    func open(_ disk: SimulatedFileSystem, segmentSizeBytes: Int = 64 << 20, cacheMaxEntries: Int = 65_536) throws(StorageError) -> FileLogStore<KVTypes> {
        var options = FileLogStoreOptions()
        options.segmentSizeBytes = segmentSizeBytes
        options.cacheMaxEntries = cacheMaxEntries
        return try FileLogStore<KVTypes>(directory: directory, options: options, fileSystem: disk)
    }

    func appendDurably(_ store: FileLogStore<KVTypes>, _ batch: [Entry<KVTypes>]) async throws -> Bool {
        let acks = AckRecorder()
        try await store.append(batch, onDurable: { acks.record($0, reached: 1) })
        await acks.wait(forCount: 1)
        return !acks.failed
    }

    func ids(_ store: FileLogStore<KVTypes>) async throws -> [LogIndex] {
        try await store.entries(in: 0..<1_000).map(\.index)
    }

    /// After a failed fsync the page cache may hold data the disk never got; the store must not
    /// retry, must fail the group, and must refuse every later call.
    @Test func failedFsyncIsFatalAndLosesNothingAcknowledged() async throws {
        let disk = SimulatedFileSystem()
        let store = try open(disk)
        #expect(try await appendDurably(store, entries(1...5)))
        // The next group is one pwrite and one fsync.
        disk.failFsync(atCall: disk.mutatingCalls + 2)
        #expect(try await !appendDurably(store, entries(6...8)))
        await #expect(throws: StorageError.self) { try await store.append(entries(9...9), onDurable: { _ in }) }
        await #expect(throws: StorageError.self) { try await store.readVote() }
        await #expect(throws: StorageError.self) { try await store.saveVote(Vote(term: 1, votedFor: 1)) }
        await store.close()

        let reopened = try open(SimulatedFileSystem(image: disk.crashNow(losing: .dropAllUnsynced)))
        #expect(try await ids(reopened) == Array(1...5))
    }

    /// A full disk fails the write; what was acknowledged stays, and after space is freed the
    /// store reopens, cuts the partial write and continues.
    @Test func noSpaceFailsTheWriteAndLosesNothingAcknowledged() async throws {
        let disk = SimulatedFileSystem()
        let store = try open(disk)
        #expect(try await appendDurably(store, entries(1...10)))
        let used = disk.storedBytes()
        disk.setCapacity(used + 100)
        #expect(try await !appendDurably(store, entries(11...30)))
        do {
            try await store.append(entries(31...31), onDurable: { _ in })
            Issue.record("append after ENOSPC succeeded")
        } catch {
            #expect(error.reason.contains("No space"), "\(error)")
        }
        await store.close()

        for mode in [LossMode.keepAllUnsynced, .dropAllUnsynced] {
            let freed = SimulatedFileSystem(image: disk.snapshotImage(losing: mode))
            let reopened = try open(freed)
            // Acknowledged entries are all there; intact records of the failed write may be too.
            let recovered = try await ids(reopened)
            #expect(recovered.count >= 10 && recovered == Array(1...LogIndex(recovered.count)), "\(mode): \(recovered)")
            let next = LogIndex(recovered.count + 1)
            #expect(try await appendDurably(reopened, entries(next...next + 1)), "\(mode)")
            await reopened.close()
        }
    }

    @Test func leftoverTemporaryVoteFileIsIgnored() async throws {
        let disk = SimulatedFileSystem()
        let store = try open(disk)
        try await store.saveVote(Vote(term: 3, votedFor: 2))
        await store.close()
        var image = disk.crashNow(losing: .dropAllUnsynced)
        image.files[directory + "/vote.tmp"] = [1, 2, 3]
        let reopened = try open(SimulatedFileSystem(image: image))
        #expect(try await reopened.readVote() == Vote(term: 3, votedFor: 2))
        #expect(reopened.recoveryReport.removedFiles == ["vote.tmp"])
    }

    /// A crash between creating a segment and syncing the directory loses the file; one that
    /// lands before the header is written leaves an empty file, which recovery removes.
    @Test func segmentWithoutHeaderIsRemovedAndItsNumberReused() async throws {
        let disk = SimulatedFileSystem()
        let store = try open(disk)
        #expect(try await appendDurably(store, entries(1...3)))
        await store.close()
        var image = disk.crashNow(losing: .dropAllUnsynced)
        image.files[directory + "/" + SegmentNaming.name(2)] = []
        let reopenedDisk = SimulatedFileSystem(image: image)
        let reopened = try open(reopenedDisk)
        #expect(reopened.recoveryReport.removedFiles == [SegmentNaming.name(2)])
        #expect(try await appendDurably(reopened, entries(4...4)))
        await reopened.close()
        let names = reopenedDisk.fileNames(in: directory).filter { $0.hasSuffix(".seg") }
        #expect(names == [SegmentNaming.name(1), SegmentNaming.name(2)])
        let again = try open(reopenedDisk)
        #expect(try await ids(again) == Array(1...4))
    }

    /// A segment that disappears from the middle of the log is corruption, not a shorter log.
    @Test func missingSegmentIsReported() async throws {
        let disk = SimulatedFileSystem()
        let store = try open(disk, segmentSizeBytes: 512)
        for start in stride(from: 1, through: 60, by: 5) {
            #expect(try await appendDurably(store, entries(LogIndex(start)...LogIndex(start + 4))))
        }
        await store.close()
        let image = disk.crashNow(losing: .dropAllUnsynced)
        let segments = image.files.keys.filter { $0.hasSuffix(".seg") }.sorted()
        #expect(segments.count > 4)
        for victim in [segments[0], segments[2]] {
            var damaged = image
            damaged.files[victim] = nil
            do {
                _ = try open(SimulatedFileSystem(image: damaged), segmentSizeBytes: 512)
                Issue.record("opened a log missing \(victim)")
            } catch {
                #expect(error.isCorruption, "\(error)")
            }
        }
    }

    /// Reads of entries no longer cached verify the checksum every time.
    @Test func corruptionFoundOnReadIsReported() async throws {
        let disk = SimulatedFileSystem()
        let store = try open(disk, cacheMaxEntries: 2)
        #expect(try await appendDurably(store, entries(1...20)))
        disk.flipBit(in: directory + "/" + SegmentNaming.name(1), at: SegmentHeader.size + 40, bit: 3)
        do {
            _ = try await store.entries(in: 1..<21)
            Issue.record("a damaged record was read without error")
        } catch {
            #expect(error.isCorruption)
            #expect(error.subject == .file(path: directory + "/" + SegmentNaming.name(1), offset: Int64(SegmentHeader.size)))
        }
        #expect(try await store.entries(in: 2..<21).map(\.index) == Array(2...20))
    }

    /// Purging frees whole segments, keeps the purge point across a restart, and reads below it
    /// return nothing.
    @Test func purgeDeletesWholeSegmentsOnly() async throws {
        let disk = SimulatedFileSystem()
        let store = try open(disk, segmentSizeBytes: 512, cacheMaxEntries: 4)
        for start in stride(from: 1, through: 96, by: 8) {
            #expect(try await appendDurably(store, entries(LogIndex(start)...LogIndex(start + 7))))
        }
        let before = disk.fileNames(in: directory).filter { $0.hasSuffix(".seg") }
        try await store.purge(upTo: LogID(term: 1, nodeID: 1, index: 50))
        let after = disk.fileNames(in: directory).filter { $0.hasSuffix(".seg") }
        #expect(after.count < before.count)
        #expect(Set(after).isSubset(of: Set(before)))
        #expect(try await ids(store) == Array(51...96))
        await store.close()
        let reopened = try open(disk, segmentSizeBytes: 512, cacheMaxEntries: 4)
        #expect(try await reopened.logState() == LogState(lastPurgedLogID: LogID(term: 1, nodeID: 1, index: 50),
                                                          lastLogID: LogID(term: 1, nodeID: 1, index: 96)))
        #expect(try await ids(reopened) == Array(51...96))
        #expect(try await reopened.entries(in: 1..<51).isEmpty)
    }

    /// Field lesson 8: a cache must never drift from storage after a truncation. Entries that
    /// were evicted and then truncated must not come back from disk.
    @Test func truncatedEntriesNeverComeBackFromDisk() async throws {
        let disk = SimulatedFileSystem()
        let store = try open(disk, cacheMaxEntries: 1)
        #expect(try await appendDurably(store, entries(1...10)))
        try await store.truncate(after: LogID(term: 1, nodeID: 1, index: 4))
        #expect(try await appendDurably(store, entries(5...8, term: 2)))
        let read = try await store.entries(in: 1..<20)
        #expect(read.map(\.logID.term) == [1, 1, 1, 1, 2, 2, 2, 2])
        await store.close()
        let reopened = try open(disk, cacheMaxEntries: 1)
        #expect(try await reopened.entries(in: 1..<20).map(\.logID.term) == [1, 1, 1, 1, 2, 2, 2, 2])
    }
}

extension SimulatedFileSystem {
    /// Total bytes stored.
    func storedBytes() -> Int {
        snapshotImage(losing: .keepAllUnsynced).files.values.reduce(0) { $0 + $1.count }
    }
}
