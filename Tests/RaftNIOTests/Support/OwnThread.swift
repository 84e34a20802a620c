import Raft
import Testing

/// Runs a test on a thread of its own instead of the cooperative pool.
///
/// The pool has one thread per core (two on the CI machine). A test that computes for seconds
/// without suspending, like a batch of simulated seeds, holds one of them; two at once stall
/// every other test's tasks, among them the runtime tests' nodes, whose leaders then go a whole
/// election timeout without hearing from their followers and step down. On a thread of its
/// own the test competes for the cores through the kernel's scheduler, which keeps giving the
/// pool's threads their turns.
///
/// On a suite it applies to each of the suite's tests. (A copy of RaftTestingTests' trait.) Here
/// it keeps tests that block on raw sockets or wait for `openssl` off the pool.
struct OwnThread: TestTrait, SuiteTrait, TestScoping {
    var isRecursive: Bool { true }

    /// Only around each test case: a suite, or a test function as a whole, runs no test code
    /// of its own.
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
