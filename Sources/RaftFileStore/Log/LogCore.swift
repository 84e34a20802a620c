import Raft
import RaftCore
import Synchronization

/// The part of a file log store shared by its callers and its writer thread.
@usableFromInline final class LogCore<Types: RaftTypeConfig>: Sendable {
    @usableFromInline let fileSystem: any FileSystem
    @usableFromInline let directory: String
    @usableFromInline let options: FileLogStoreOptions
    @usableFromInline let directoryLock: FileHandle
    @usableFromInline let state: Mutex<SharedLogState<Types>>
    @usableFromInline let wake = WakeSignal()

    @inlinable init(fileSystem: any FileSystem, directory: String, options: FileLogStoreOptions,
         directoryLock: FileHandle, state: consuming SharedLogState<Types>) {
        self.fileSystem = fileSystem
        self.directory = directory
        self.options = options
        self.directoryLock = directoryLock
        self.state = Mutex(state)
    }

    /// Enqueues the operation `make` builds (nil: nothing to do) and waits for its completion.
    @inlinable func submit(
        _ make: (inout SharedLogState<Types>, @escaping WriteOperation<Types>.Completion) throws(StorageError) -> WriteOperation<Types>?
    ) async throws(StorageError) {
        let result: Result<Void, StorageError> = await withCheckedContinuation { continuation in
            let completion: WriteOperation<Types>.Completion = { continuation.resume(returning: $0) }
            let outcome = state.withLock { state -> Result<Bool, StorageError> in
                do throws(StorageError) {
                    guard let operation = try make(&state, completion) else { return .success(false) }
                    state.enqueue(operation)
                    return .success(true)
                } catch {
                    return .failure(error)
                }
            }
            switch outcome {
            case .success(true): wake.notify()
            case .success(false): continuation.resume(returning: .success(()))
            case .failure(let error): continuation.resume(returning: .failure(error))
            }
        }
        try result.get()
    }

    /// Waits until the writer has drained the queue below `maxPendingBytes`.
    @inlinable func waitForPendingBytes() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.pendingBytes <= options.maxPendingBytes || state.failure != nil { return true }
                state.pendingWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
