import RaftTesting
import Testing

@Suite struct AppendHistoryTests {
    @Test func sequentialAppendsAreReadWhole() {
        var h = HistoryBuilder()
        h.append(1, "x", "a", 0, 1)
        h.append(1, "x", "b", 2, 3)
        h.read(2, "x", "ab", 4, 5)
        h.write(2, "x", "c", 6, 7)
        h.append(1, "x", "d", 8, 9)
        h.read(2, "x", "cd", 10, 11)
        h.add(1, .delete("x"), 12, 13, .ok(.deleted))
        h.append(1, "x", "e", 14, 15)
        h.read(2, "x", "e", 16, 17)
        #expect(check(h).isLinearizable)
    }

    @Test func concurrentAppendsMayTakeEffectInEitherOrder() {
        for observed in ["ab", "ba"] {
            var h = HistoryBuilder()
            h.append(1, "x", "a", 0, 10)
            h.append(2, "x", "b", 1, 9)
            h.read(3, "x", observed, 11, 12)
            #expect(check(h).isLinearizable, "read of \(observed)")
        }
    }

    @Test func readsMustAgreeOnTheOrderOfAppends() {
        var h = HistoryBuilder()
        h.append(1, "x", "a", 0, 10)
        h.append(2, "x", "b", 1, 9)
        h.read(3, "x", "ab", 11, 12)
        h.read(4, "x", "ba", 13, 14)
        #expect(check(h).violation?.blockingOperation == OperationID(3))
    }

    @Test func lostAppendIsRejected() {
        var h = HistoryBuilder()
        h.append(1, "x", "a", 0, 1)
        h.append(2, "x", "b", 2, 3)
        h.read(3, "x", "a", 4, 5)
        #expect(check(h).violation?.blockingOperation == OperationID(2))
    }

    @Test func appendTakingEffectTwiceIsRejected() {
        var h = HistoryBuilder()
        h.append(1, "x", "a", 0, 1)
        h.read(2, "x", "aa", 2, 3)
        #expect(check(h).violation != nil)
    }

    @Test func unknownAppendMayTakeEffectLateOrNever() {
        var h = HistoryBuilder()
        h.append(1, "x", "a", 0, 1)
        h.add(2, .append("x", "b"), 2, nil, .unknown)
        h.read(3, "x", "a", 3, 4)
        h.append(1, "x", "c", 5, 6)
        h.read(3, "x", "acb", 7, 8)
        #expect(check(h).isLinearizable)

        var never = HistoryBuilder()
        never.append(1, "x", "a", 0, 1)
        never.add(2, .append("x", "b"), 2, nil, .unknown)
        never.read(3, "x", "a", 100, 101)
        #expect(check(never).isLinearizable)
    }

    @Test func unknownAppendCannotBeObservedAtTwoPlaces() {
        var h = HistoryBuilder()
        h.add(1, .append("x", "b"), 0, nil, .unknown)
        h.read(2, "x", "b", 1, 2)
        h.append(3, "x", "c", 3, 4)
        h.read(2, "x", "cb", 5, 6)
        #expect(check(h).violation != nil)
    }

    @Test func failedAppendIsIgnoredAndMustNotBeObserved() {
        var h = HistoryBuilder()
        h.append(1, "x", "a", 0, 1)
        h.add(2, .append("x", "b"), 2, 3, .fail)
        h.read(3, "x", "a", 4, 5)
        #expect(check(h).isLinearizable)
        h.read(3, "x", "ab", 6, 7)
        #expect(check(h).violation != nil)
    }

    @Test func compareAndSetSeesTheAppendedValue() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.append(1, "x", "b", 2, 3)
        h.cas(2, "x", "a", "z", false, 4, 5)
        h.cas(2, "x", "ab", "c", true, 6, 7)
        h.read(1, "x", "c", 8, 9)
        #expect(check(h).isLinearizable)
    }

    @Test func listValuesAppendElements() {
        typealias ListKV = KVModel<String, [Int]>
        let operations = [
            HistoryOperation<ListKV.Input, ListKV.Output>(
                id: OperationID(0), clientID: 1, input: .append("x", [1]), invokedAt: 0, outcome: .ok(.appended), completedAt: 5),
            HistoryOperation(
                id: OperationID(1), clientID: 2, input: .append("x", [2]), invokedAt: 1, outcome: .ok(.appended), completedAt: 4),
            HistoryOperation(
                id: OperationID(2), clientID: 3, input: .read("x"), invokedAt: 6, outcome: .ok(.read([2, 1])), completedAt: 7),
        ]
        let checker = LinearizabilityChecker(model: ListKV())
        #expect(checker.check(operations).isLinearizable)
        var stale = operations
        stale[2].outcome = .ok(.read([2]))
        #expect(checker.check(stale).violation?.blockingOperation == OperationID(2))
    }

    @Test func simplificationDropsOnlyUnknownAppendsNoReadCouldHaveSeen() {
        var h = HistoryBuilder()
        h.append(1, "x", "a", 0, 1)
        let seen = h.add(2, .append("x", "b"), 2, nil, .unknown)
        let unseen = h.add(3, .append("x", "z"), 2, nil, .unknown)
        let unseenWrite = h.add(3, .write("x", "w"), 3, nil, .unknown)
        h.add(4, .read("x"), 3, nil, .unknown)
        h.read(1, "x", "ab", 5, 6)
        let kept = KV().simplify(partition: h.operations).map(\.id)
        #expect(kept == [OperationID(0), seen, OperationID(5)])
        #expect(!kept.contains(unseen) && !kept.contains(unseenWrite))
        #expect(check(h).isLinearizable)

        // A failed compare-and-set afterwards may be explained by the unseen append: kept.
        h.cas(4, "x", "ab", "c", false, 7, 8)
        #expect(KV().simplify(partition: h.operations).map(\.id).contains(unseen))
        #expect(check(h).isLinearizable)
    }

    @Test func appendDescribesItself() {
        var history = History<KV.Input, KV.Output>()
        let id = history.invoke(client: 3, input: .append("x", "a"), at: 4)
        history.complete(id, outcome: .ok(.appended), at: 9)
        #expect(history.operations[0].description == "#0 client 3 [4, 9] append(x, a) -> ok appended")
    }
}
