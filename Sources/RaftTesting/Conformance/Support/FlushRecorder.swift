import Raft
import Synchronization

/// Records flush callbacks so the suite can check they ran once each, in order.
final class FlushRecorder: Sendable {
    private let calls = Mutex<[(tag: Int, result: Result<Void, StorageError>)]>([])

    func callback(_ tag: Int) -> LogFlushCallback {
        { result in self.calls.withLock { $0.append((tag, result)) } }
    }

    var tags: [Int] { calls.withLock { $0.map(\.tag) } }

    var failures: [StorageError] {
        calls.withLock { calls in
            calls.compactMap { call -> StorageError? in
                if case .failure(let error) = call.result { return error }
                return nil
            }
        }
    }

    /// Waits until `count` callbacks arrived; a store that never calls back fails the case
    /// instead of hanging the suite.
    func wait(forCount count: Int, timeout: Duration = .seconds(10)) async throws(ConformanceViolation) {
        let deadline = ContinuousClock.now + timeout
        while calls.withLock({ $0.count }) < count {
            if ContinuousClock.now > deadline {
                throw ConformanceViolation(description: "only \(tags.count) of \(count) flush callbacks arrived within \(timeout)")
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
    }
}
