#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The POSIX calls whose names collide with `FileSystem` methods.
@usableFromInline enum Sys {
    #if canImport(Glibc)
    @inlinable static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 { Glibc.open(path, flags, mode) }
    @inlinable static func close(_ fd: Int32) -> Int32 { Glibc.close(fd) }
    @inlinable static func pwrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ offset: off_t) -> Int { Glibc.pwrite(fd, buffer, count, offset) }
    @inlinable static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: off_t) -> Int { Glibc.pread(fd, buffer, count, offset) }
    @inlinable static func fsync(_ fd: Int32) -> Int32 { Glibc.fsync(fd) }
    @inlinable static func ftruncate(_ fd: Int32, _ size: off_t) -> Int32 { Glibc.ftruncate(fd, size) }
    @inlinable static func rename(_ from: String, _ to: String) -> Int32 { Glibc.rename(from, to) }
    @inlinable static func unlink(_ path: String) -> Int32 { Glibc.unlink(path) }
    #else
    @inlinable static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 { Darwin.open(path, flags, mode) }
    @inlinable static func close(_ fd: Int32) -> Int32 { Darwin.close(fd) }
    @inlinable static func pwrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ offset: off_t) -> Int { Darwin.pwrite(fd, buffer, count, offset) }
    @inlinable static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: off_t) -> Int { Darwin.pread(fd, buffer, count, offset) }
    @inlinable static func fsync(_ fd: Int32) -> Int32 { Darwin.fsync(fd) }
    @inlinable static func ftruncate(_ fd: Int32, _ size: off_t) -> Int32 { Darwin.ftruncate(fd, size) }
    @inlinable static func rename(_ from: String, _ to: String) -> Int32 { Darwin.rename(from, to) }
    @inlinable static func unlink(_ path: String) -> Int32 { Darwin.unlink(path) }
    #endif
}

/// The real file system, through POSIX calls.
@usableFromInline struct PosixFileSystem: FileSystem {
    @inlinable init() {}

    @inlinable func failure(_ operation: String, _ path: String = "") -> FileSystemError {
        let code = errno
        let message = String(cString: strerror(code))
        return FileSystemError(code: code, operation: path.isEmpty ? operation : "\(operation) \(path)", message: message)
    }

    @inlinable func open(_ path: String, _ options: OpenOptions) throws(FileSystemError) -> FileHandle {
        var flags: Int32 = O_CLOEXEC
        if options.contains(.read) && options.contains(.write) {
            flags |= O_RDWR
        } else if options.contains(.write) {
            flags |= O_WRONLY
        } else {
            flags |= O_RDONLY
        }
        if options.contains(.create) { flags |= O_CREAT }
        if options.contains(.exclusive) { flags |= O_EXCL }
        if options.contains(.truncate) { flags |= O_TRUNC }
        while true {
            let fd = Sys.open(path, flags, 0o644)
            if fd >= 0 { return FileHandle(raw: fd) }
            if errno != EINTR { throw failure("open", path) }
        }
    }

    @inlinable func close(_ file: FileHandle) {
        _ = Sys.close(file.raw)
    }

    @inlinable func pwrite(_ file: FileHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileSystemError) {
        var written = 0
        while written < bytes.count {
            let result = Sys.pwrite(file.raw, bytes.baseAddress! + written, bytes.count - written, off_t(offset) + off_t(written))
            if result < 0 {
                if errno == EINTR { continue }
                throw failure("pwrite")
            }
            written += result
        }
    }

    @inlinable func pread(_ file: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileSystemError) -> Int {
        var done = 0
        while done < buffer.count {
            let result = Sys.pread(file.raw, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if result < 0 {
                if errno == EINTR { continue }
                throw failure("pread")
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    @inlinable func fsync(_ file: FileHandle) throws(FileSystemError) {
        // fdatasync where available: it makes the data and the metadata needed to read it back
        // (size, block map) durable, skipping timestamps, which nothing here reads.
        // No retry on EINTR or anything else: after a failed fsync the kernel may have dropped
        // the dirty pages, and a second fsync would report success for lost data.
        #if canImport(Glibc)
        if fdatasync(file.raw) != 0 { throw failure("fdatasync") }
        #else
        if Sys.fsync(file.raw) != 0 { throw failure("fsync") }
        #endif
    }

    @inlinable func ftruncate(_ file: FileHandle, size: Int64) throws(FileSystemError) {
        while Sys.ftruncate(file.raw, off_t(size)) != 0 {
            if errno != EINTR { throw failure("ftruncate") }
        }
    }

    @inlinable func size(_ file: FileHandle) throws(FileSystemError) -> Int64 {
        var info = stat()
        if fstat(file.raw, &info) != 0 { throw failure("fstat") }
        return Int64(info.st_size)
    }

    @inlinable func rename(_ from: String, to: String) throws(FileSystemError) {
        if Sys.rename(from, to) != 0 { throw failure("rename", from) }
    }

    @inlinable func unlink(_ path: String) throws(FileSystemError) {
        if Sys.unlink(path) != 0 { throw failure("unlink", path) }
    }

    @inlinable func list(_ directory: String) throws(FileSystemError) -> [String] {
        guard let stream = opendir(directory) else { throw failure("opendir", directory) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    @inlinable func fsyncDirectory(_ path: String) throws(FileSystemError) {
        let fd = Sys.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw failure("open directory", path) }
        defer { _ = Sys.close(fd) }
        if Sys.fsync(fd) != 0 { throw failure("fsync directory", path) }
    }

    @inlinable func createDirectory(_ path: String) throws(FileSystemError) {
        var info = stat()
        if stat(path, &info) == 0 { return }
        let parent = Paths.parent(of: path)
        if parent != path { try createDirectory(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw failure("mkdir", path) }
        try fsyncDirectory(parent)
    }

    @inlinable func lock(_ path: String) throws(FileSystemError) -> FileHandle {
        let handle = try open(path, [.read, .write, .create])
        if flock(handle.raw, LOCK_EX | LOCK_NB) != 0 {
            let error = failure("flock", path)
            close(handle)
            throw error
        }
        return handle
    }
}

/// Path helpers (no Foundation).
@usableFromInline enum Paths {
    @inlinable static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    @inlinable static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }
}
