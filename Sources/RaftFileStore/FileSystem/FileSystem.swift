/// A file opened through a ``FileSystem``.
@usableFromInline struct FileHandle: Hashable, Sendable {
    @usableFromInline let raw: Int32

    @inlinable init(raw: Int32) {
        self.raw = raw
    }
}

@usableFromInline struct OpenOptions: OptionSet, Sendable {
    @usableFromInline let rawValue: Int

    @inlinable init(rawValue: Int) {
        self.rawValue = rawValue
    }

    @usableFromInline static let read = OpenOptions(rawValue: 1)
    @usableFromInline static let write = OpenOptions(rawValue: 2)
    @usableFromInline static let create = OpenOptions(rawValue: 4)
    /// Fail if the file exists: a new segment never reuses old bytes.
    @usableFromInline static let exclusive = OpenOptions(rawValue: 8)
    @usableFromInline static let truncate = OpenOptions(rawValue: 16)
}

/// A failed file-system call: the errno and the call.
@usableFromInline struct FileSystemError: Error, Hashable, Sendable, CustomStringConvertible {
    @usableFromInline var code: Int32
    @usableFromInline var operation: String
    @usableFromInline var message: String

    @inlinable init(code: Int32, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    @inlinable var description: String { "\(operation): \(message) (errno \(code))" }
}

/// Every file operation the file store performs, so tests can inject crashes, lost writes,
/// torn writes, EIO and ENOSPC underneath the real store code.
///
/// Semantics are POSIX's, including the unpleasant parts the store must cope with: data
/// written with `pwrite` survives a crash only after `fsync` of the file; a created, renamed
/// or unlinked name survives only after `fsyncDirectory` of its directory.
@usableFromInline protocol FileSystem: Sendable {
    func open(_ path: String, _ options: OpenOptions) throws(FileSystemError) -> FileHandle
    func close(_ file: FileHandle)
    /// Writes all of `bytes` at `offset`, or throws (possibly after writing a prefix).
    func pwrite(_ file: FileHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileSystemError)
    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    func pread(_ file: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileSystemError) -> Int
    func fsync(_ file: FileHandle) throws(FileSystemError)
    func ftruncate(_ file: FileHandle, size: Int64) throws(FileSystemError)
    func size(_ file: FileHandle) throws(FileSystemError) -> Int64
    func rename(_ from: String, to: String) throws(FileSystemError)
    func unlink(_ path: String) throws(FileSystemError)
    /// Names (not paths) of the entries of `directory`, without "." and "..".
    func list(_ directory: String) throws(FileSystemError) -> [String]
    func fsyncDirectory(_ path: String) throws(FileSystemError)
    /// Creates `path` and missing parents, making each new name durable.
    func createDirectory(_ path: String) throws(FileSystemError)
    /// Takes an exclusive advisory lock on `path` (created if needed), held until the handle
    /// is closed, so two stores never share a directory.
    func lock(_ path: String) throws(FileSystemError) -> FileHandle
}

extension FileSystem {
    /// Reads `count` bytes at `offset` into a new array (shorter at the end of the file).
    @inlinable func read(_ file: FileHandle, count: Int, at offset: Int64) throws(FileSystemError) -> [UInt8] {
        var readCount = 0
        var failure: FileSystemError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(FileSystemError) {
                readCount = try pread(file, into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
            }
            // Bytes past what was read are zeroed so the array never exposes uninitialized memory.
            if readCount < count {
                UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[readCount...]).initializeMemory(as: UInt8.self, repeating: 0)
            }
            initialized = count
        }
        if let failure { throw failure }
        return readCount == count ? bytes : Array(bytes[..<readCount])
    }

    @inlinable func write(_ file: FileHandle, _ bytes: [UInt8], at offset: Int64) throws(FileSystemError) {
        var failure: FileSystemError?
        bytes.withUnsafeBytes { raw in
            do throws(FileSystemError) {
                try pwrite(file, raw, at: offset)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }
}
