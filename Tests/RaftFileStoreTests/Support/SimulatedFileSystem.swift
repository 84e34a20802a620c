#if canImport(Glibc)
import Glibc
#endif
@testable import RaftFileStore
import Synchronization

/// The durable contents of a simulated disk: what a machine finds after a crash.
struct DiskImage: Sendable {
    var files: [String: [UInt8]] = [:]
    var directories: Set<String> = []
}

/// What survives of writes and directory changes that were not yet synced when the power
/// went out. Every mode is allowed by POSIX fsync semantics.
enum LossMode: Sendable, Hashable, CustomStringConvertible {
    /// Nothing unsynced survives.
    case dropAllUnsynced
    /// Everything survives (a process crash: the page cache lives on).
    case keepAllUnsynced
    /// A random prefix of each file's unsynced writes, and of each directory's changes.
    case keepRandomPrefix(seed: UInt64)
    /// Like a random prefix, with the next write torn part-way and the rest of it garbage.
    case tearNextWrite(seed: UInt64)

    var description: String {
        switch self {
        case .dropAllUnsynced: return "drop all unsynced"
        case .keepAllUnsynced: return "keep all unsynced"
        case .keepRandomPrefix(let seed): return "keep a random prefix (seed \(seed))"
        case .tearNextWrite(let seed): return "tear a write (seed \(seed))"
        }
    }
}

/// An in-memory file system with crash semantics, for the store's fault tests.
///
/// Each file's bytes are split into what is durable (as of its last fsync) and the writes
/// since; each directory's names likewise (as of its last directory fsync). A crash point
/// (the n-th mutating call) freezes a `DiskImage` chosen by a `LossMode`, and from then on
/// every call fails with EIO, as if the process had died with the machine.
final class SimulatedFileSystem: FileSystem, @unchecked Sendable {
    private final class Inode {
        var data: [UInt8]
        var durable: [UInt8]
        var unsynced: [Change] = []

        init(_ bytes: [UInt8]) {
            data = bytes
            durable = bytes
        }

        enum Change {
            case write(offset: Int, bytes: [UInt8])
            case truncate(size: Int)
        }
    }

    private enum NameChange {
        case link(String, Inode)
        case unlink(String)
        case rename(from: String, to: String, Inode)
    }

    private struct State {
        var names: [String: Inode] = [:]
        var durableNames: [String: Inode] = [:]
        var pendingNames: [String: [NameChange]] = [:]
        var directories: Set<String> = []
        var open: [Int32: (path: String, inode: Inode)] = [:]
        var nextDescriptor: Int32 = 3
        var mutatingCalls = 0
        var crashAtCall: Int?
        var lossMode: LossMode = .dropAllUnsynced
        var crashImage: DiskImage?
        var failFsyncAtCall: Int?
        var capacityBytes: Int?
    }

    // Guarded by `mutex`; the inodes are only touched with it held.
    private let mutex = Mutex(State())

    init(image: DiskImage = DiskImage()) {
        mutex.withLock { state in
            state.directories = image.directories
            for (path, bytes) in image.files {
                let inode = Inode(bytes)
                state.names[path] = inode
                state.durableNames[path] = inode
            }
        }
    }

    // MARK: Fault control

    /// Crashes when the `call`-th mutating call (1-based) starts.
    func crash(atCall call: Int, losing mode: LossMode) {
        mutex.withLock {
            $0.crashAtCall = call
            $0.lossMode = mode
        }
    }

    /// Crashes now.
    func crashNow(losing mode: LossMode) -> DiskImage {
        mutex.withLock { state in
            let image = Self.image(of: state, mode)
            state.crashImage = image
            return image
        }
    }

    /// What a crash now would leave, without crashing.
    func snapshotImage(losing mode: LossMode) -> DiskImage {
        mutex.withLock { Self.image(of: $0, mode) }
    }

    /// The image frozen by the crash, if it happened.
    var crashImage: DiskImage? { mutex.withLock { $0.crashImage } }

    var mutatingCalls: Int { mutex.withLock { $0.mutatingCalls } }

    /// Makes the `call`-th mutating call, if it is an fsync, fail with EIO.
    func failFsync(atCall call: Int) {
        mutex.withLock { $0.failFsyncAtCall = call }
    }

    /// Limits the total size of all files: writes past it fail with ENOSPC.
    func setCapacity(_ bytes: Int?) {
        mutex.withLock { $0.capacityBytes = bytes }
    }

    /// Flips one bit of a file's current (and durable) contents.
    func flipBit(in path: String, at offset: Int, bit: Int) {
        mutex.withLock { state in
            guard let inode = state.names[path], offset < inode.data.count else { return }
            inode.data[offset] ^= UInt8(1 << bit)
            if offset < inode.durable.count { inode.durable[offset] ^= UInt8(1 << bit) }
        }
    }

    func fileNames(in directory: String) -> [String] {
        (try? list(directory))?.sorted() ?? []
    }

    // MARK: Images

    private static func image(of state: State, _ mode: LossMode) -> DiskImage {
        var random = SeededGenerator(seed: {
            switch mode {
            case .keepRandomPrefix(let seed), .tearNextWrite(let seed): return seed
            default: return 0
            }
        }())
        var names = state.durableNames
        for directory in state.pendingNames.keys.sorted() {
            let changes = state.pendingNames[directory]!
            let kept: Int
            switch mode {
            case .dropAllUnsynced: kept = 0
            case .keepAllUnsynced: kept = changes.count
            case .keepRandomPrefix, .tearNextWrite: kept = Int.random(in: 0...changes.count, using: &random)
            }
            for change in changes.prefix(kept) {
                switch change {
                case let .link(path, inode): names[path] = inode
                case .unlink(let path): names[path] = nil
                case let .rename(from, to, inode):
                    names[from] = nil
                    names[to] = inode
                }
            }
        }
        var image = DiskImage(directories: state.directories)
        for path in names.keys.sorted() {
            let inode = names[path]!
            var bytes = inode.durable
            let changes = inode.unsynced
            let kept: Int
            switch mode {
            case .dropAllUnsynced: kept = 0
            case .keepAllUnsynced: kept = changes.count
            case .keepRandomPrefix, .tearNextWrite: kept = Int.random(in: 0...changes.count, using: &random)
            }
            for change in changes.prefix(kept) { apply(change, to: &bytes) }
            if case .tearNextWrite = mode, kept < changes.count, case let .write(offset, written) = changes[kept], !written.isEmpty {
                // Some of the write landed, then garbage (not zeros) where the rest should be.
                let landed = Int.random(in: 0..<written.count, using: &random)
                var torn = Array(written.prefix(landed))
                for _ in landed..<written.count { torn.append(UInt8.random(in: 0...255, using: &random)) }
                apply(.write(offset: offset, bytes: torn), to: &bytes)
            }
            image.files[path] = bytes
        }
        return image
    }

    private static func apply(_ change: Inode.Change, to bytes: inout [UInt8]) {
        switch change {
        case let .write(offset, written):
            if bytes.count < offset + written.count {
                bytes.append(contentsOf: repeatElement(0, count: offset + written.count - bytes.count))
            }
            bytes.replaceSubrange(offset..<(offset + written.count), with: written)
        case .truncate(let size):
            if size < bytes.count {
                bytes.removeSubrange(size...)
            } else {
                bytes.append(contentsOf: repeatElement(0, count: size - bytes.count))
            }
        }
    }

    // MARK: Call bookkeeping

    private static func error(_ code: Int32, _ operation: String) -> FileSystemError {
        FileSystemError(code: code, operation: operation, message: String(cString: strerror(code)))
    }

    /// Counts a mutating call, crashing the disk if it is the crash point.
    private func mutating(_ state: inout State, _ operation: String) throws(FileSystemError) {
        if state.crashImage != nil { throw Self.error(EIO, operation + " after crash") }
        state.mutatingCalls += 1
        if state.mutatingCalls == state.crashAtCall {
            state.crashImage = Self.image(of: state, state.lossMode)
            throw Self.error(EIO, operation + " at crash")
        }
    }

    private func reading(_ state: State, _ operation: String) throws(FileSystemError) {
        if state.crashImage != nil { throw Self.error(EIO, operation + " after crash") }
    }

    private static func directory(of path: String) -> String { Paths.parent(of: path) }

    // MARK: FileSystem

    func open(_ path: String, _ options: OpenOptions) throws(FileSystemError) -> FileHandle {
        try mutex.withLock { state throws(FileSystemError) -> FileHandle in
            try reading(state, "open")
            var inode = state.names[path]
            if inode != nil && options.contains(.create) && options.contains(.exclusive) {
                throw Self.error(EEXIST, "open \(path)")
            }
            if inode == nil {
                guard options.contains(.create) else { throw Self.error(ENOENT, "open \(path)") }
                guard state.directories.contains(Self.directory(of: path)) else { throw Self.error(ENOENT, "open \(path)") }
                try mutating(&state, "create \(path)")
                let created = Inode([])
                state.names[path] = created
                state.pendingNames[Self.directory(of: path), default: []].append(.link(path, created))
                inode = created
            } else if options.contains(.truncate) {
                try mutating(&state, "truncate \(path)")
                inode!.data = []
                inode!.unsynced.append(.truncate(size: 0))
            }
            let descriptor = state.nextDescriptor
            state.nextDescriptor += 1
            state.open[descriptor] = (path, inode!)
            return FileHandle(raw: descriptor)
        }
    }

    func close(_ file: FileHandle) {
        _ = mutex.withLock { $0.open.removeValue(forKey: file.raw) }
    }

    private func inode(_ state: State, _ file: FileHandle, _ operation: String) throws(FileSystemError) -> Inode {
        guard let entry = state.open[file.raw] else { throw Self.error(EBADF, operation) }
        return entry.inode
    }

    func pwrite(_ file: FileHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileSystemError) {
        try mutex.withLock { state throws(FileSystemError) in
            try mutating(&state, "pwrite")
            let inode = try inode(state, file, "pwrite")
            var written = Array(bytes)
            var noSpace = false
            if let capacity = state.capacityBytes {
                let used = state.names.values.reduce(0) { $0 + $1.data.count }
                let growth = max(0, Int(offset) + written.count - inode.data.count)
                let room = max(0, capacity - used)
                if growth > room {
                    written = Array(written.prefix(max(0, inode.data.count - Int(offset)) + room))
                    noSpace = true
                }
            }
            let change = Inode.Change.write(offset: Int(offset), bytes: written)
            Self.apply(change, to: &inode.data)
            inode.unsynced.append(change)
            if noSpace { throw Self.error(ENOSPC, "pwrite") }
        }
    }

    func pread(_ file: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileSystemError) -> Int {
        try mutex.withLock { state throws(FileSystemError) -> Int in
            try reading(state, "pread")
            let inode = try inode(state, file, "pread")
            let start = min(Int(offset), inode.data.count)
            let count = min(buffer.count, inode.data.count - start)
            inode.data.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + count)]))
            }
            return count
        }
    }

    func fsync(_ file: FileHandle) throws(FileSystemError) {
        try mutex.withLock { state throws(FileSystemError) in
            try mutating(&state, "fsync")
            let inode = try inode(state, file, "fsync")
            if state.mutatingCalls == state.failFsyncAtCall {
                // Like Linux: the dirty pages are dropped and marked clean, so the data is lost.
                inode.data = inode.durable
                inode.unsynced = []
                throw Self.error(EIO, "fsync")
            }
            inode.durable = inode.data
            inode.unsynced = []
        }
    }

    func ftruncate(_ file: FileHandle, size: Int64) throws(FileSystemError) {
        try mutex.withLock { state throws(FileSystemError) in
            try mutating(&state, "ftruncate")
            let inode = try inode(state, file, "ftruncate")
            let change = Inode.Change.truncate(size: Int(size))
            Self.apply(change, to: &inode.data)
            inode.unsynced.append(change)
        }
    }

    func size(_ file: FileHandle) throws(FileSystemError) -> Int64 {
        try mutex.withLock { state throws(FileSystemError) -> Int64 in
            try reading(state, "size")
            return Int64(try inode(state, file, "size").data.count)
        }
    }

    func rename(_ from: String, to: String) throws(FileSystemError) {
        try mutex.withLock { state throws(FileSystemError) in
            try mutating(&state, "rename")
            guard let inode = state.names[from] else { throw Self.error(ENOENT, "rename \(from)") }
            state.names[from] = nil
            state.names[to] = inode
            state.pendingNames[Self.directory(of: to), default: []].append(.rename(from: from, to: to, inode))
        }
    }

    func unlink(_ path: String) throws(FileSystemError) {
        try mutex.withLock { state throws(FileSystemError) in
            try mutating(&state, "unlink")
            guard state.names[path] != nil else { throw Self.error(ENOENT, "unlink \(path)") }
            state.names[path] = nil
            state.pendingNames[Self.directory(of: path), default: []].append(.unlink(path))
        }
    }

    func list(_ directory: String) throws(FileSystemError) -> [String] {
        try mutex.withLock { state throws(FileSystemError) -> [String] in
            try reading(state, "list")
            guard state.directories.contains(directory) else { throw Self.error(ENOENT, "list \(directory)") }
            let prefix = directory.hasSuffix("/") ? directory : directory + "/"
            // Files and subdirectories, as readdir lists them.
            return (Array(state.names.keys) + Array(state.directories))
                .filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).isEmpty && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }
        }
    }

    func fsyncDirectory(_ path: String) throws(FileSystemError) {
        try mutex.withLock { state throws(FileSystemError) in
            try mutating(&state, "fsync directory")
            for change in state.pendingNames[path] ?? [] {
                switch change {
                case let .link(name, inode): state.durableNames[name] = inode
                case .unlink(let name): state.durableNames[name] = nil
                case let .rename(from, to, inode):
                    state.durableNames[from] = nil
                    state.durableNames[to] = inode
                }
            }
            state.pendingNames[path] = nil
        }
    }

    func createDirectory(_ path: String) throws(FileSystemError) {
        try mutex.withLock { state throws(FileSystemError) in
            try reading(state, "mkdir")
            // Directories are not the subject of these tests: they are durable at once.
            var current = path
            while !state.directories.contains(current) && current != "/" && current != "." {
                state.directories.insert(current)
                current = Paths.parent(of: current)
            }
        }
    }

    func lock(_ path: String) throws(FileSystemError) -> FileHandle {
        try mutex.withLock { state throws(FileSystemError) -> FileHandle in
            try reading(state, "lock")
            let descriptor = state.nextDescriptor
            state.nextDescriptor += 1
            return FileHandle(raw: descriptor)
        }
    }
}
