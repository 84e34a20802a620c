import Raft
import RaftTesting
import Testing

typealias KV = KVModel<String, String>
typealias KVOperation = HistoryOperation<KV.Input, KV.Output>

/// A compact way to write a hand-made history: one line per operation, ids in order.
struct HistoryBuilder {
    private(set) var operations: [KVOperation] = []

    @discardableResult
    mutating func add(
        _ client: UInt64, _ input: KV.Input, _ start: UInt64, _ end: UInt64?,
        _ outcome: OperationOutcome<KV.Output>
    ) -> OperationID {
        let id = OperationID(operations.count)
        operations.append(
            KVOperation(
                id: id, clientID: client, input: input,
                invokedAt: start, outcome: outcome, completedAt: end))
        return id
    }

    @discardableResult
    mutating func write(_ client: UInt64, _ key: String, _ value: String, _ start: UInt64, _ end: UInt64) -> OperationID {
        add(client, .write(key, value), start, end, .ok(.written))
    }

    @discardableResult
    mutating func read(_ client: UInt64, _ key: String, _ value: String?, _ start: UInt64, _ end: UInt64) -> OperationID {
        add(client, .read(key), start, end, .ok(.read(value)))
    }

    @discardableResult
    mutating func append(_ client: UInt64, _ key: String, _ suffix: String, _ start: UInt64, _ end: UInt64) -> OperationID {
        add(client, .append(key, suffix), start, end, .ok(.appended))
    }

    @discardableResult
    mutating func cas(
        _ client: UInt64, _ key: String, _ expected: String?, _ new: String,
        _ succeeded: Bool, _ start: UInt64, _ end: UInt64
    ) -> OperationID {
        add(client, .compareAndSet(key, expected: expected, new: new), start, end, .ok(.compareAndSet(succeeded: succeeded)))
    }
}

func check(_ builder: HistoryBuilder, maxSteps: Int = 2_000_000) -> LinearizabilityResult<KV> {
    LinearizabilityChecker(model: KV(), maxStepsPerPartition: maxSteps).check(builder.operations)
}

/// SplitMix64: a tiny seeded generator so randomized tests replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs a test on a thread of its own instead of the cooperative pool.
///
/// The pool has one thread per core (two on the CI machine). A test that computes for seconds
/// without suspending, like a batch of simulated seeds, holds one of them; two at once stall
/// every other test's tasks, among them the runtime tests' nodes, whose leaders then go a whole
/// election timeout without hearing from their followers and step down. On a thread of its
/// own the test competes for the cores through the kernel's scheduler, which keeps giving the
/// pool's threads their turns.
///
/// On a suite it applies to each of the suite's tests.
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
