import RaftTesting
import Testing

@Suite struct NonLinearizableHistoryTests {
    @Test func staleReadAfterCompletedWriteIsRejected() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.write(1, "x", "b", 2, 3)
        h.read(2, "x", "a", 4, 5)
        let violation = check(h).violation
        #expect(violation?.partition == "x")
        #expect(violation?.blockingOperation == OperationID(2))
    }

    @Test func lostAcknowledgedWriteIsRejected() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.write(2, "x", "b", 2, 3)
        h.read(3, "x", "a", 10, 11)
        h.read(1, "x", "a", 12, 13)
        #expect(check(h).violation != nil)
    }

    @Test func readOfNeverWrittenValueIsRejected() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 10)
        h.read(2, "x", "ghost", 1, 9)
        #expect(check(h).violation?.blockingOperation == OperationID(1))
    }

    @Test func readOfFailedWriteIsRejected() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.add(2, .write("x", "b"), 2, 3, .fail)
        h.read(3, "x", "b", 4, 5)
        #expect(check(h).violation != nil)
    }

    @Test func twoCompareAndSetsFromTheSameValueCannotBothSucceed() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.cas(2, "x", "a", "b", true, 2, 10)
        h.cas(3, "x", "a", "c", true, 3, 9)
        #expect(check(h).violation != nil)
    }

    @Test func failedCompareAndSetOfTheCurrentValueIsRejected() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.cas(2, "x", "a", "b", false, 2, 3)
        #expect(check(h).violation != nil)
    }

    @Test func readsGoingBackwardsInRealTimeAreRejected() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.write(1, "x", "b", 2, 30)
        h.read(2, "x", "b", 3, 5)
        h.read(3, "x", "a", 6, 8)
        #expect(check(h).violation != nil)
    }

    @Test func unknownWriteCannotBeObservedBeforeItWasInvoked() {
        var h = HistoryBuilder()
        h.read(1, "x", "b", 0, 1)
        h.add(2, .write("x", "b"), 2, nil, .unknown)
        #expect(check(h).violation != nil)
    }

    @Test func unknownWriteCannotTakeEffectTwice() {
        var h = HistoryBuilder()
        h.add(1, .write("x", "b"), 0, nil, .unknown)
        h.read(2, "x", "b", 1, 2)
        h.write(3, "x", "c", 3, 4)
        h.read(2, "x", "b", 5, 6)
        #expect(check(h).violation != nil)
    }

    @Test func violationInOneKeyIsReportedWithThatKey() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.write(1, "y", "a", 2, 3)
        h.read(2, "x", "a", 4, 5)
        h.read(2, "y", nil, 6, 7)
        let violation = check(h).violation
        #expect(violation?.partition == "y")
        #expect(violation?.operations.map(\.id) == [OperationID(1), OperationID(3)])
    }

    @Test func violationReportsTheLongestLinearizablePrefix() {
        var h = HistoryBuilder()
        h.write(1, "x", "a", 0, 1)
        h.read(2, "x", "a", 2, 3)
        h.write(1, "x", "b", 4, 5)
        h.add(3, .write("x", "z"), 4, 5, .fail)
        h.read(2, "x", "a", 6, 7)
        h.read(3, "x", "y", 6, 8)
        h.read(4, "x", "z", 5, 9)
        let violation = check(h).violation
        #expect(violation?.longestLinearizablePrefix == [OperationID(0), OperationID(1), OperationID(2)])
        #expect(violation?.statesAlongPrefix == ["a", "a", "b"])
        #expect(violation?.stateAfterPrefix == "b")
        #expect(violation?.blockingOperation == OperationID(4))
        #expect(violation?.otherCandidates == [OperationID(6), OperationID(5)])
        #expect(violation?.operations.count == 7)
        let text = check(h).description
        #expect(text.contains("partition x"))
        #expect(text.contains("state after it: b"))
        #expect(text.contains("cannot linearize next: #4"))
    }

    @Test func violationReportShowsValuesAsRecorded() {
        // Nobody reads p or q, so the model renames q to p for the search; the report must
        // still show q where the unknown write of q explains the failed compare-and-set.
        var h = HistoryBuilder()
        h.write(1, "x", "p", 0, 1)
        h.write(1, "x", "a", 2, 3)
        h.add(2, .write("x", "q"), 4, nil, .unknown)
        h.cas(3, "x", "a", "c", false, 5, 6)
        h.read(3, "x", "never-written", 7, 8)
        let violation = check(h).violation
        #expect(violation?.longestLinearizablePrefix == [OperationID(0), OperationID(1), OperationID(2), OperationID(3)])
        #expect(violation?.statesAlongPrefix == ["p", "a", "q", "q"])
        #expect(violation?.blockingOperation == OperationID(4))
    }
}
