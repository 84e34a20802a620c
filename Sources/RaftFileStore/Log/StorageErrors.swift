import Raft

extension StorageError {
    /// A failed file-system call on `path`.
    @inlinable static func io(_ error: FileSystemError, _ verb: Verb, path: String, offset: Int64? = nil) -> StorageError {
        StorageError(subject: .file(path: path, offset: offset), verb: verb, reason: error.description)
    }

    /// Stored bytes that fail verification.
    @inlinable static func corruption(path: String, offset: Int64?, _ reason: String) -> StorageError {
        StorageError(subject: .file(path: path, offset: offset), verb: .read, reason: reason, isCorruption: true)
    }

    @inlinable static func closed(_ directory: String) -> StorageError {
        StorageError(subject: .file(path: directory, offset: nil), verb: .write, reason: "the log store is closed")
    }
}

/// Runs a file-system call, turning its error into a `StorageError` about `path`.
@inline(__always)
@inlinable func withFile<R>(_ verb: StorageError.Verb, _ path: String, offset: Int64? = nil,
                 _ body: () throws(FileSystemError) -> R) throws(StorageError) -> R {
    do {
        return try body()
    } catch {
        throw StorageError.io(error, verb, path: path, offset: offset)
    }
}
