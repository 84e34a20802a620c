import Raft
import RaftCore
@testable import RaftFileStore
import RaftTesting
import Testing

@Suite struct SnapshotStoreTests {
    let directory = "/data/snapshots"

    func snapshot(_ index: LogIndex, size: Int = 300) -> Snapshot<KVTypes> {
        let membership = StoredMembership(logID: LogID(term: 1, nodeID: 1, index: 1),
                                          membership: Membership<KVTypes>(voters: [1: "a", 2: "b"]))
        return Snapshot(meta: SnapshotMeta(lastLogID: LogID(term: 1, nodeID: 1, index: index), lastMembership: membership,
                                           snapshotID: "s\(index)"),
                        data: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* Int(index)) })
    }

    func same(_ a: Snapshot<KVTypes>?, _ b: Snapshot<KVTypes>) -> Bool {
        a?.meta == b.meta && a?.data == b.data
    }

    @Test func saveLoadAndReplace() throws {
        let disk = SimulatedFileSystem()
        let store = try FileSnapshotStore<KVTypes>(directory: directory, fileSystem: disk)
        #expect(try store.loadLatest() == nil)
        try store.save(snapshot(10))
        try store.save(snapshot(20))
        #expect(same(try FileSnapshotStore<KVTypes>(directory: directory, fileSystem: disk).loadLatest(), snapshot(20)))
        #expect(disk.fileNames(in: directory) == [SnapshotFile.name(2)])
    }

    /// A crash anywhere in publishing a new snapshot leaves the old one or the new one, whole.
    @Test func crashDuringSaveLeavesOldOrNew() throws {
        let probe = SimulatedFileSystem()
        try FileSnapshotStore<KVTypes>(directory: directory, fileSystem: probe).save(snapshot(10))
        let before = probe.mutatingCalls
        try FileSnapshotStore<KVTypes>(directory: directory, fileSystem: probe).save(snapshot(20))
        let saveCalls = probe.mutatingCalls - before

        for call in 1...saveCalls {
            for mode in [LossMode.dropAllUnsynced, .keepAllUnsynced, .keepRandomPrefix(seed: UInt64(call)), .tearNextWrite(seed: UInt64(call))] {
                let disk = SimulatedFileSystem()
                try FileSnapshotStore<KVTypes>(directory: directory, fileSystem: disk).save(snapshot(10))
                disk.crash(atCall: disk.mutatingCalls + call, losing: mode)
                #expect(throws: StorageError.self) {
                    try FileSnapshotStore<KVTypes>(directory: directory, fileSystem: disk).save(snapshot(20))
                }
                let image = try #require(disk.crashImage)
                let loaded = try FileSnapshotStore<KVTypes>(directory: directory, fileSystem: SimulatedFileSystem(image: image)).loadLatest()
                #expect(same(loaded, snapshot(10)) || same(loaded, snapshot(20)), "crash at call \(call), \(mode)")
            }
        }
    }

    @Test func damagedSnapshotIsCorruption() throws {
        let disk = SimulatedFileSystem()
        try FileSnapshotStore<KVTypes>(directory: directory, fileSystem: disk).save(snapshot(10))
        let image = disk.crashNow(losing: .dropAllUnsynced)
        let path = directory + "/" + SnapshotFile.name(1)
        var random = SeededGenerator(seed: 11)
        for _ in 0..<100 {
            var damaged = image
            let offset = Int.random(in: 0..<damaged.files[path]!.count, using: &random)
            damaged.files[path]![offset] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
            do {
                _ = try FileSnapshotStore<KVTypes>(directory: directory, fileSystem: SimulatedFileSystem(image: damaged)).loadLatest()
                Issue.record("a flip at byte \(offset) went unnoticed")
            } catch {
                #expect(error.isCorruption)
                #expect(error.subject == .file(path: path, offset: 0))
            }
        }
    }

    @Test func leftoverTemporaryFileIsRemoved() throws {
        let disk = SimulatedFileSystem()
        try FileSnapshotStore<KVTypes>(directory: directory, fileSystem: disk).save(snapshot(10))
        var image = disk.crashNow(losing: .dropAllUnsynced)
        image.files[directory + "/" + SnapshotFile.name(2) + ".tmp"] = [9, 9, 9]
        let reopenedDisk = SimulatedFileSystem(image: image)
        let store = try FileSnapshotStore<KVTypes>(directory: directory, fileSystem: reopenedDisk)
        #expect(same(try store.loadLatest(), snapshot(10)))
        #expect(reopenedDisk.fileNames(in: directory) == [SnapshotFile.name(1)])
    }

    /// The file-backed KV state machine passes the state machine half of the suite, including
    /// reopening from its snapshot directory.
    @Test func fileBackedStateMachinePassesTheSuite() async throws {
        let root = TemporaryDirectory("kv-snapshots")
        defer { root.remove() }
        let counter = Counter()
        let report = await StorageConformance.runStateMachine(
            fixtures: .keyValue,
            make: { try FileBackedKVStateMachine(directory: root.sub("sm-\(counter.next())")) },
            reopen: { machine in
                try FileBackedKVStateMachine(directory: machine.snapshotDirectory)
            })
        #expect(report.succeeded, "\(report)")
        #expect(report.skipped.isEmpty)
    }

    @Test func fileBackedStateRestoresFromItsSnapshot() async throws {
        let root = TemporaryDirectory("kv-restart")
        defer { root.remove() }
        let machine = try FileBackedKVStateMachine(directory: root.path)
        let entries = (1...50).map { Entry<KVTypes>(logID: LogID(term: 1, nodeID: 1, index: $0), payload: .command(.put(key: "k\($0 % 9)", value: "v\($0)"))) }
        _ = try await machine.apply(entries)
        _ = try await machine.buildSnapshot()
        let restarted = try FileBackedKVStateMachine(directory: root.path)
        #expect(restarted.state == machine.state)
        #expect(try await restarted.appliedState().lastApplied?.index == 50)
    }
}
