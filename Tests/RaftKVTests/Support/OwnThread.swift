import Raft
import Testing

/// Runs each test on a thread of its own instead of Swift's cooperative pool (a copy of
/// RaftNIOTests' trait, which explains it at length).
///
/// The pool has one thread per core, two on the CI machine, and every test target's tests share
/// it. These tests block threads: `openssl` and child processes waited for, raw sockets. Two of
/// them at once, on the pool, stalled the whole test process for 20-30 s, long enough for the
/// runtime tests' calls running beside them to time out.
struct OwnThread: TestTrait, SuiteTrait, TestScoping {
    var isRecursive: Bool { true }

    func scopeProvider(for test: Test, testCase: Test.Case?) -> OwnThread? {
        testCase == nil ? nil : self
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let executor = RaftThreadExecutor()
        defer { executor.shutdown() }
        try await withTaskExecutorPreference(executor) { try await function() }
    }
}

extension Trait where Self == OwnThread {
    /// Runs the test, or each test of the suite, on a thread of its own (see ``OwnThread``).
    static var ownThread: Self { OwnThread() }
}
