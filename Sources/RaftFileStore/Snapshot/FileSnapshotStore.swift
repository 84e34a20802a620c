import Raft
import RaftCore
import Synchronization

/// Keeps the latest snapshot of a state machine in a directory, one checksummed file per
/// snapshot.
///
/// A snapshot is written to a temporary file, synced, renamed into place and the directory
/// synced, so after a crash the directory holds the previous snapshot or the new one, whole.
/// Loading verifies the checksum; a damaged latest snapshot is a corruption error rather than
/// a silent fallback to an older one, whose log may already be purged.
///
/// Calls block on file I/O; state machines call them off the hot path (snapshot build and
/// install).
public final class FileSnapshotStore<Types: RaftTypeConfig>: Sendable {
    /// Where the snapshot files are.
    public let directory: String
    @usableFromInline let fileSystem: any FileSystem
    /// The sequence number of the newest snapshot file.
    @usableFromInline let latestSequence: Mutex<UInt64>

    /// Opens (creating if needed) `directory`, removing temporary files of a save that a crash
    /// interrupted.
    @inlinable public convenience init(directory: String) throws(StorageError) {
        try self.init(directory: directory, fileSystem: PosixFileSystem())
    }

    @inlinable init(directory: String, fileSystem: any FileSystem) throws(StorageError) {
        self.directory = directory
        self.fileSystem = fileSystem
        try withFile(.open, directory) { () throws(FileSystemError) in try fileSystem.createDirectory(directory) }
        let names = try withFile(.read, directory) { () throws(FileSystemError) in try fileSystem.list(directory) }
        var removed = false
        for name in names where name.hasSuffix(SnapshotFile.temporarySuffix) {
            // A snapshot whose publication never completed.
            let path = Paths.join(directory, name)
            try withFile(.delete, path) { () throws(FileSystemError) in try fileSystem.unlink(path) }
            removed = true
        }
        if removed {
            try withFile(.sync, directory) { () throws(FileSystemError) in try fileSystem.fsyncDirectory(directory) }
        }
        latestSequence = Mutex(names.compactMap(SnapshotFile.sequence).max() ?? 0)
    }

    /// The sequence number the next saved snapshot gets; it grows across restarts.
    @inlinable public var nextSequence: UInt64 { latestSequence.withLock { $0 } + 1 }

    /// Durably stores `snapshot` as the latest one and removes older ones.
    @inlinable public func save(_ snapshot: Snapshot<Types>) throws(StorageError) {
        let sequence = latestSequence.withLock { $0 } + 1
        let path = Paths.join(directory, SnapshotFile.name(sequence))
        let temporary = path + SnapshotFile.temporarySuffix
        let meta: [UInt8]
        do {
            meta = try BinaryEncoder().encode(snapshot.meta)
        } catch {
            throw StorageError(subject: .snapshot(id: snapshot.meta.snapshotID), verb: .write, reason: "cannot encode metadata: \(error)")
        }
        var head = SnapshotFile.header(metaLength: meta.count, dataLength: snapshot.data.count)
        head.append(contentsOf: meta)
        var checksum = CRC32C.update(CRC32C.initialState, head[...])
        checksum = CRC32C.update(checksum, snapshot.data[...])
        var trailer: [UInt8] = []
        trailer.appendLE(CRC32C.finalize(checksum))
        trailer.appendLE(UInt32(0))

        let handle = try withFile(.open, temporary) { () throws(FileSystemError) in
            try fileSystem.open(temporary, [.write, .create, .truncate])
        }
        do {
            defer { fileSystem.close(handle) }
            let dataOffset = Int64(head.count)
            try withFile(.write, temporary, offset: 0) { () throws(FileSystemError) in
                try fileSystem.write(handle, head, at: 0)
                try fileSystem.write(handle, snapshot.data, at: dataOffset)
                try fileSystem.write(handle, trailer, at: dataOffset + Int64(snapshot.data.count))
            }
            try withFile(.sync, temporary) { () throws(FileSystemError) in try fileSystem.fsync(handle) }
        }
        try withFile(.write, path) { () throws(FileSystemError) in try fileSystem.rename(temporary, to: path) }
        try withFile(.sync, directory) { () throws(FileSystemError) in try fileSystem.fsyncDirectory(directory) }
        latestSequence.withLock { $0 = sequence }
        try removeSnapshots(before: sequence)
    }

    /// The latest snapshot, verified; nil if none was ever saved.
    @inlinable public func loadLatest() throws(StorageError) -> Snapshot<Types>? {
        let sequence = latestSequence.withLock { $0 }
        guard sequence > 0 else { return nil }
        let path = Paths.join(directory, SnapshotFile.name(sequence))
        let handle = try withFile(.open, path) { () throws(FileSystemError) in try fileSystem.open(path, [.read]) }
        defer { fileSystem.close(handle) }
        let bytes = try withFile(.read, path, offset: 0) { () throws(FileSystemError) in
            let size = try fileSystem.size(handle)
            return try fileSystem.read(handle, count: Int(size), at: 0)
        }
        return try SnapshotFile.parse(bytes, as: Types.self, path: path)
    }

    @inlinable func removeSnapshots(before sequence: UInt64) throws(StorageError) {
        let names = try withFile(.read, directory) { () throws(FileSystemError) in try fileSystem.list(directory) }
        let stale = names.filter { (SnapshotFile.sequence(of: $0) ?? .max) < sequence }
        guard !stale.isEmpty else { return }
        for name in stale {
            let path = Paths.join(directory, name)
            try withFile(.delete, path) { () throws(FileSystemError) in try fileSystem.unlink(path) }
        }
        try withFile(.sync, directory) { () throws(FileSystemError) in try fileSystem.fsyncDirectory(directory) }
    }
}
