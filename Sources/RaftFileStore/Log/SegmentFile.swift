/// An open segment file, shared by the writer and readers. The descriptor closes when the
/// last user lets go, so a reader racing a purge still reads from the (unlinked) file.
@usableFromInline final class SegmentFile: Sendable {
    @usableFromInline let sequence: UInt64
    @usableFromInline let path: String
    @usableFromInline let handle: FileHandle
    @usableFromInline let recordSeed: UInt32
    @usableFromInline let fileSystem: any FileSystem

    @inlinable init(sequence: UInt64, path: String, handle: FileHandle, recordSeed: UInt32, fileSystem: any FileSystem) {
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
