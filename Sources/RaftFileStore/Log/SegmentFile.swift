/// An open segment file, shared by the writer and readers. The descriptor closes when the
/// last user lets go, so a reader racing a purge still reads from the (unlinked) file.
final class SegmentFile: Sendable {
    let sequence: UInt64
    let path: String
    let handle: FileHandle
    let recordSeed: UInt32
    private let fileSystem: any FileSystem

    init(sequence: UInt64, path: String, handle: FileHandle, recordSeed: UInt32, fileSystem: any FileSystem) {
        self.sequence = sequence
        self.path = path
        self.handle = handle
        self.recordSeed = recordSeed
        self.fileSystem = fileSystem
    }

    deinit {
        fileSystem.close(handle)
    }
}
