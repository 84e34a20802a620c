import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file in a member's data directory that keeps its voting suspended across restarts.
///
/// A node started with `--storage-lost` must not vote until the disaster-recovery procedure
/// resumes it: a vote it gave before losing its storage is forgotten, and voting again in that
/// term could elect a second leader. The engine's suspension lasts as long as the process, so a
/// restart without the flag (a supervisor's restart, an operator's mistake) would end it early;
/// the marker, written durably before the node starts and removed only when voting resumes,
/// makes every start before then a storage-lost start.
struct StorageLostMarker: Sendable {
    /// The marker's path.
    let path: String

    init(dataDirectory: String) {
        path = dataDirectory + "/storage-lost"
    }

    /// Whether the marker is present: the node's voting stays suspended.
    var isPresent: Bool { FileManager.default.fileExists(atPath: path) }

    /// Writes the marker and makes it durable (the file and its directory entry).
    func create() throws {
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.error("create", path) }
        defer { close(fd) }
        let text = Array("started with --storage-lost; voting stays suspended until POST /v1/cluster/resume-voting\n".utf8)
        guard text.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == text.count, fsync(fd) == 0 else { throw Self.error("write", path) }
        try syncDirectory()
    }

    /// Removes the marker (durably); absent already is fine.
    func remove() throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw Self.error("remove", path) }
        try syncDirectory()
    }

    private func syncDirectory() throws {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.error("open", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Self.error("sync", directory) }
    }

    private static func error(_ operation: String, _ path: String) -> RaftKVStartError {
        RaftKVStartError("could not \(operation) \(path): \(String(cString: strerror(errno)))")
    }
}
