import RaftTesting
import Testing

@Suite struct HistoryRecordingTests {
    @Test func invokeAssignsIdsInOrderAndLeavesOperationsUnknown() {
        var history = History<KV.Input, KV.Output>()
        let first = history.invoke(client: 7, input: .read("x"), at: 10)
        let second = history.invoke(client: 8, input: .write("x", "a"), at: 11)
        #expect(first == OperationID(0))
        #expect(second == OperationID(1))
        #expect(history.operations.map(\.outcome) == [.unknown, .unknown])
        #expect(history.operations.map(\.completedAt) == [nil, nil])
    }

    @Test func completeRecordsOutcomeAndTime() {
        var history = History<KV.Input, KV.Output>()
        let read = history.invoke(client: 7, input: .read("x"), at: 10)
        let write = history.invoke(client: 8, input: .write("x", "a"), at: 11)
        history.complete(write, outcome: .unknown, at: 50)
        history.complete(read, outcome: .ok(.read(nil)), at: 12)
        #expect(history.operations[0].output == .read(nil))
        #expect(history.operations[0].completedAt == 12)
        #expect(history.operations[1].outcome == .unknown)
        #expect(history.operations[1].clientID == 8)
    }

    @Test func operationDescriptionNamesClientIntervalAndResult() {
        var history = History<KV.Input, KV.Output>()
        let cas = history.invoke(client: 3, input: .compareAndSet("x", expected: nil, new: "a"), at: 4)
        history.complete(cas, outcome: .ok(.compareAndSet(succeeded: true)), at: 9)
        #expect(history.operations[0].description == "#0 client 3 [4, 9] cas(x, nil -> a) -> ok true")
    }
}
