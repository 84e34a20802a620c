import RaftTesting
import Testing

@Suite(.ownThread) struct BudgetAndScaleTests {
    /// Twenty fully concurrent writes followed by an impossible read: proving the violation
    /// means trying every order of the writes, which no budget of this size covers.
    private func adversarialHistory(key: String) -> HistoryBuilder {
        var h = HistoryBuilder()
        for client in UInt64(0)..<20 {
            h.write(client, key, "w\(client)", 0, 100)
        }
        h.read(99, key, "never-written", 200, 201)
        return h
    }

    @Test func exhaustedBudgetReportsUnknownWithItsReasonAndSteps() {
        let result = check(adversarialHistory(key: "x"), maxSteps: 20_000)
        guard case .unknown(let partitions, let reason) = result.verdict else {
            Issue.record("expected an unknown verdict, got \(result)")
            return
        }
        #expect(partitions == ["x"])
        #expect(reason == .stepBudget)
        #expect(result.partitions.map(\.status) == [.undecided(.stepBudget)])
        #expect(result.steps == 20_000)
        #expect(!result.isLinearizable && result.violation == nil)
        #expect(result.description.contains("step budget"))
    }

    @Test func violationInAnotherPartitionWinsOverATimeout() {
        var h = adversarialHistory(key: "x")
        h.write(1, "y", "a", 300, 301)
        h.read(2, "y", "b", 302, 303)
        let result = check(h, maxSteps: 20_000)
        #expect(result.violation?.partition == "y")
    }

    @Test func twoThousandOperationsOnOneKeyWithFiveClientsAreChecked() {
        let generator = RegisterHistoryGenerator(
            clients: 5, operations: 2_000, keys: ["x"], failPercent: 5, unknownPercent: 5)
        let operations = generator.generate(seed: 42)
        #expect(LinearizabilityChecker(model: KV()).check(operations).isLinearizable)
    }

    @Test func violationAtTheEndOfALongHistoryIsFound() {
        // Proving a violation means exhausting every linearization of what precedes it, so
        // this history has no unknown outcomes, which would multiply those.
        let generator = RegisterHistoryGenerator(
            clients: 5, operations: 2_000, keys: ["x"], failPercent: 5, unknownPercent: 0)
        var operations = generator.generate(seed: 7)
        operations.append(impossibleRead(id: operations.count, key: "x"))
        let violation = LinearizabilityChecker(model: KV()).check(operations).violation
        #expect(violation?.blockingOperation == OperationID(operations.count - 1))
        #expect((violation?.longestLinearizablePrefix.count ?? 0) > 1_800)
    }

    @Test func violationAfterManyUnknownOutcomesIsFound() {
        let generator = RegisterHistoryGenerator(
            clients: 5, operations: 300, keys: ["x"], failPercent: 5, unknownPercent: 10)
        var operations = generator.generate(seed: 11)
        operations.append(impossibleRead(id: operations.count, key: "x"))
        let violation = LinearizabilityChecker(model: KV()).check(operations).violation
        #expect(violation?.blockingOperation == OperationID(operations.count - 1))
    }

    @Test func manyKeysWithTenClientsAreChecked() {
        let generator = RegisterHistoryGenerator(
            clients: 10, operations: 3_000, keys: (0..<8).map { "k\($0)" }, failPercent: 5, unknownPercent: 15)
        let operations = generator.generate(seed: 2_024)
        #expect(LinearizabilityChecker(model: KV()).check(operations).isLinearizable)
    }

    private func impossibleRead(id: Int, key: String) -> KVOperation {
        KVOperation(
            id: OperationID(id), clientID: 99, input: .read(key),
            invokedAt: 1_000_000, outcome: .ok(.read("never-written")), completedAt: 1_000_001)
    }
}
