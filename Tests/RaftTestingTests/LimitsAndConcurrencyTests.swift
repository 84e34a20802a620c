import Glibc
import RaftTesting
import Synchronization
import Testing

/// The time limit, cancellation, the report of steps, and partitions searched concurrently.
@Suite(.ownThread) struct LimitsAndConcurrencyTests {
    /// Thirty fully concurrent writes followed by an impossible read: proving the violation
    /// means trying some 2^30 configurations, so without a limit the search does not end.
    private func endlessHistory(key: String, into h: inout HistoryBuilder) {
        for client in UInt64(0)..<30 {
            h.write(client, key, "w\(client)", 0, 100)
        }
        h.read(99, key, "never-written", 200, 201)
    }

    private func staleRead(key: String, at start: UInt64, into h: inout HistoryBuilder) {
        h.write(1, key, "a", start, start + 1)
        h.read(2, key, "b", start + 2, start + 3)
    }

    @Test func violationInALaterPartitionEndsAnEndlessSearch() {
        var h = HistoryBuilder()
        endlessHistory(key: "x", into: &h)
        staleRead(key: "y", at: 300, into: &h)
        // The time limit is only a safety net: the violation must end the check first.
        let checker = LinearizabilityChecker(
            model: KV(), maxStepsPerPartition: .max, timeLimit: .seconds(60), parallelism: 2)
        let result = checker.check(h.operations)
        #expect(result.violation?.partition == "y")
        #expect(result.partitions.map(\.partition) == ["x", "y"])
        #expect(result.partitions.map(\.status) == [.abandoned, .notLinearizable])
        #expect(result.elapsed < .seconds(30))
    }

    @Test func violationThatTakesLongToProveStillEndsAnEndlessSearch() {
        var h = HistoryBuilder()
        endlessHistory(key: "x", into: &h)
        // Twelve concurrent writes and an impossible read: proving it takes tens of
        // thousands of steps, more than the quick pass gives a partition.
        for client in UInt64(0)..<12 {
            h.write(client, "y", "v\(client)", 300, 400)
        }
        h.read(99, "y", "never-written", 500, 501)
        let checker = LinearizabilityChecker(
            model: KV(), maxStepsPerPartition: .max, timeLimit: .seconds(60), parallelism: 2)
        let result = checker.check(h.operations)
        #expect(result.violation?.partition == "y")
        #expect(result.partitions.map(\.status) == [.abandoned, .notLinearizable])
        #expect(result.partitions[1].steps > 4_096)
        #expect(result.elapsed < .seconds(30))
    }

    @Test func timeLimitEndsTheSearchAsUnknown() {
        var h = HistoryBuilder()
        endlessHistory(key: "x", into: &h)
        h.write(1, "y", "a", 300, 301)
        for parallelism in [1, 2] {
            let checker = LinearizabilityChecker(
                model: KV(), maxStepsPerPartition: .max, timeLimit: .seconds(1), parallelism: parallelism)
            let result = checker.check(h.operations)
            guard case .unknown(let partitions, let reason) = result.verdict else {
                Issue.record("expected an unknown verdict, got \(result)")
                continue
            }
            // One at a time, y's turn comes after the time limit; two at once, it is decided
            // (the limit leaves a loaded machine time to schedule the second search).
            #expect(partitions == (parallelism == 1 ? ["x", "y"] : ["x"]), "parallelism \(parallelism)")
            #expect(reason == .deadline)
            #expect(result.partitions[0].status == .undecided(.deadline))
            #expect(result.partitions[0].steps > 0)
            #expect(result.elapsed < .seconds(20))
        }
    }

    @Test func cancellingATokenEndsTheCheck() {
        var h = HistoryBuilder()
        endlessHistory(key: "x", into: &h)
        let cancellation = CheckCancellation()
        cancellation.cancel()
        let checker = LinearizabilityChecker(model: KV(), maxStepsPerPartition: .max, timeLimit: .seconds(60))
        let result = checker.check(h.operations, cancellation: cancellation)
        guard case .unknown(_, let reason) = result.verdict else {
            Issue.record("expected an unknown verdict, got \(result)")
            return
        }
        #expect(reason == .cancelled)
        #expect(result.steps == 0)
    }

    @Test func cancellingTheTaskEndsAnAsyncCheck() async {
        var h = HistoryBuilder()
        endlessHistory(key: "x", into: &h)
        let operations = h.operations
        let checker = LinearizabilityChecker(model: KV(), maxStepsPerPartition: .max, timeLimit: .seconds(60))
        let task = Task { await checker.check(operations) }
        try? await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let result = await task.value
        guard case .unknown(_, let reason) = result.verdict else {
            Issue.record("expected an unknown verdict, got \(result)")
            return
        }
        #expect(reason == .cancelled)
        #expect(result.elapsed < .seconds(30))
    }

    @Test func asyncCheckDecidesLikeTheSynchronousOne() async {
        let generator = RegisterHistoryGenerator(clients: 5, operations: 300, keys: ["x", "y", "z"], appendPercent: 30)
        var operations = generator.generate(seed: 5)
        let checker = LinearizabilityChecker(model: KV())
        #expect(await checker.check(operations).isLinearizable)
        var rng = SeededGenerator(seed: 5)
        guard let corrupted = corruptOneRead(&operations, using: &rng) else {
            Issue.record("no read to corrupt")
            return
        }
        let key = operations[corrupted.rawValue].input.key
        #expect(await checker.check(operations).violation?.partition == key)
    }

    @Test func stepsAreReportedForEveryPartition() {
        let generator = RegisterHistoryGenerator(clients: 6, operations: 400, keys: ["a", "b", "c", "d"])
        let operations = generator.generate(seed: 9)
        for parallelism in [1, 2] {
            let result = LinearizabilityChecker(model: KV(), parallelism: parallelism).check(operations)
            #expect(result.isLinearizable)
            #expect(result.partitions.count == 4)
            #expect(result.partitions.allSatisfy { $0.status == .linearizable && $0.steps > 0 && $0.operations > 0 })
            #expect(result.steps == result.partitions.reduce(0) { $0 + $1.steps })
        }
    }

    @Test func oneAtATimeReportsTheFirstViolatingPartitionAndStaysOnTheCallingThread() {
        var h = HistoryBuilder()
        h.write(1, "w", "a", 0, 1)
        staleRead(key: "x", at: 10, into: &h)
        staleRead(key: "y", at: 20, into: &h)
        let threads = ThreadLog()
        let checker = LinearizabilityChecker(model: ThreadRecordingKV(threads: threads), parallelism: 1)
        for _ in 0..<5 {
            let result = checker.check(h.operations)
            #expect(result.violation?.partition == "x")
            #expect(result.partitions.map(\.status) == [.linearizable, .notLinearizable, .abandoned])
        }
        #expect(threads.seen.withLock { $0 } == [UInt(pthread_self())])
    }
}

/// The key-value model, noting the thread of every step it is asked to take.
private struct ThreadRecordingKV: LinearizabilityModel {
    let base = KV()
    let threads: ThreadLog

    func partition(of input: KV.Input) -> String { base.partition(of: input) }
    func initialState(for partition: String) -> String? { base.initialState(for: partition) }
    func step(_ state: String?, _ input: KV.Input, _ output: KV.Output) -> (ok: Bool, newState: String?) {
        _ = threads.seen.withLock { $0.insert(UInt(pthread_self())) }
        return base.step(state, input, output)
    }
    func statesAfterUnobservedStep(_ state: String?, _ input: KV.Input) -> [String?] {
        base.statesAfterUnobservedStep(state, input)
    }
}

private final class ThreadLog: Sendable {
    let seen = Mutex<Set<UInt>>([])
}
