import RaftTesting
import Testing

@Suite struct LinearizableHistoryTests {
    @Test func emptyHistoryIsLinearizable() {
        #expect(check(HistoryBuilder()).isLinearizable)
    }

    @Test func sequentialHistoryIsLinearizable() {
        var h = HistoryBuilder()
        h.read(1, "x", nil, 0, 1)
        h.write(1, "x", "a", 2, 3)
        h.read(2, "x", "a", 4, 5)
        h.cas(2, "x", "a", "b", true, 6, 7)
        h.cas(1, "x", "a", "c", false, 8, 9)
        h.read(1, "x", "b", 10, 11)
        h.add(2, .delete("x"), 12, 13, .ok(.deleted))
        h.read(1, "x", nil, 14, 15)
        h.cas(1, "x", nil, "d", true, 16, 17)
        h.read(2, "x", "d", 18, 19)
        #expect(check(h).isLinearizable)
    }

    @Test func readConcurrentWithWriteMayReturnEitherValue() {
        for observed in ["a", "b"] {
            var h = HistoryBuilder()
            h.write(1, "x", "a", 0, 1)
            h.write(2, "x", "b", 2, 10)
            h.read(3, "x", observed, 3, 9)
            #expect(check(h).isLinearizable, "read of \(observed)")
        }
    }

    @Test func concurrentWritesMayTakeEffectInEitherOrder() {
        for last in ["a", "b"] {
            var h = HistoryBuilder()
            h.write(1, "x", "a", 0, 10)
            h.write(2, "x", "b", 1, 9)
            h.read(3, "x", last, 11, 12)
            h.read(1, "x", last, 13, 14)
            #expect(check(h).isLinearizable, "final value \(last)")
        }
    }

    @Test func overlappingReadsMaySeeOldAndNewValuesInRealTimeConsistentOrder() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.write(1, "x", "b", 2, 20)
        h.read(2, "x", "a", 3, 8)
        h.read(3, "x", "b", 5, 10)
        h.read(2, "x", "b", 11, 12)
        #expect(check(h).isLinearizable)
    }

    @Test func unknownWriteObservedLaterIsLinearizable() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.add(2, .write("x", "b"), 2, 3, .unknown)
        h.read(3, "x", "a", 4, 5)
        // Taking effect long after its client gave up is allowed.
        h.read(3, "x", "b", 100, 101)
        h.read(1, "x", "b", 102, 103)
        #expect(check(h).isLinearizable)
    }

    @Test func unknownWriteNeverObservedIsLinearizable() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.add(2, .write("x", "b"), 2, 3, .unknown)
        h.read(3, "x", "a", 4, 5)
        h.read(1, "x", "a", 100, 101)
        #expect(check(h).isLinearizable)
    }

    @Test func unknownWriteNeverObservedIsLinearizableWhenItCannotBePruned() {
        // The failed compare-and-set keeps the unknown write in the search; omitting it must
        // still be considered.
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.add(2, .write("x", "b"), 2, 3, .unknown)
        h.cas(3, "x", "z", "c", false, 4, 5)
        h.read(1, "x", "a", 100, 101)
        #expect(check(h).isLinearizable)
    }

    @Test func unknownWriteMayExplainFailedCompareAndSet() {
        var h = HistoryBuilder()
        h.add(1, .write("x", "b"), 0, nil, .unknown)
        h.cas(2, "x", nil, "c", false, 5, 6)
        #expect(check(h).isLinearizable)
    }

    @Test func unknownCompareAndSetMayTakeEffect() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.add(2, .compareAndSet("x", expected: "a", new: "b"), 2, 3, .unknown)
        h.read(3, "x", "a", 4, 5)
        h.read(3, "x", "b", 6, 7)
        #expect(check(h).isLinearizable)
    }

    @Test func pendingOperationsOfARecordedHistoryCountAsUnknown() {
        var history = History<KV.Input, KV.Output>()
        let write = history.invoke(client: 1, input: .write("x", "a"), at: 0)
        history.complete(write, outcome: .ok(.written), at: 1)
        history.invoke(client: 2, input: .write("x", "b"), at: 2)
        let read = history.invoke(client: 3, input: .read("x"), at: 3)
        history.complete(read, outcome: .ok(.read("b")), at: 4)
        #expect(LinearizabilityChecker(model: KV()).check(history).isLinearizable)
    }

    @Test func failedOperationsAreIgnored() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.add(2, .write("x", "b"), 2, 3, .fail)
        h.add(2, .compareAndSet("x", expected: "a", new: "c"), 4, 5, .fail)
        h.add(2, .read("x"), 6, 7, .fail)
        h.read(3, "x", "a", 8, 9)
        #expect(check(h).isLinearizable)
    }

    @Test func keysAreCheckedIndependently() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 10)
        h.write(2, "y", "b", 0, 10)
        h.read(3, "x", "a", 11, 12)
        h.read(3, "y", "b", 13, 14)
        h.read(4, "y", nil, 1, 2)
        #expect(check(h).isLinearizable)
    }

    @Test func initialValuesAreTheFirstState() {
        var h = HistoryBuilder()
        h.read(1, "x", "seed", 0, 1)
        h.cas(1, "x", "seed", "a", true, 2, 3)
        let model = KV(initialValues: ["x": "seed"])
        #expect(LinearizabilityChecker(model: model).check(h.operations).isLinearizable)
    }

    @Test func invocationAndCompletionAtTheSameTimeOverlap() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 5)
        h.read(2, "x", nil, 5, 6)
        #expect(check(h).isLinearizable)
    }
}
