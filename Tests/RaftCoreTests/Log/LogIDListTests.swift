import Testing
@testable import RaftCore

@Suite("Log id list")
struct LogIDListTests {
    func sample() -> LogIDList {
        var list = LogIDList.empty
        for index in 1...3 { list.append(lid(1, 1, LogIndex(index))) }
        for index in 4...6 { list.append(lid(2, 2, LogIndex(index))) }
        for index in 7...9 { list.append(lid(4, 1, LogIndex(index))) }
        return list
    }

    @Test func answersIdsFromRunsOnly() {
        let list = sample()
        #expect(list.runCount == 3)
        #expect(list.logID(at: 1) == lid(1, 1, 1))
        #expect(list.logID(at: 5) == lid(2, 2, 5))
        #expect(list.logID(at: 9) == lid(4, 1, 9))
        #expect(list.logID(at: 10) == nil)
        #expect(list.logID(at: 0) == nil)
    }

    @Test func truncateDropsWholeAndPartialRuns() {
        var list = sample()
        list.truncate(after: 5)
        #expect(list.last == lid(2, 2, 5))
        #expect(list.runCount == 2)
        list.append(lid(5, 3, 6))
        #expect(list.logID(at: 6) == lid(5, 3, 6))
    }

    @Test func purgeKeepsTheRestAnswerable() {
        var list = sample()
        list.purge(upTo: lid(2, 2, 5))
        #expect(list.purged == lid(2, 2, 5))
        #expect(list.logID(at: 5) == lid(2, 2, 5))
        #expect(list.logID(at: 4) == nil)
        #expect(list.logID(at: 6) == lid(2, 2, 6))
        #expect(list.runs.first == lid(2, 2, 6))
    }

    @Test func purgeBeyondTheLastEntryLeavesAnEmptyLog() {
        var list = sample()
        list.purge(upTo: lid(6, 3, 20))
        #expect(list.isEmpty)
        #expect(list.last == lid(6, 3, 20))
        #expect(list.lastIndex == 20)
        list.append(lid(6, 3, 21))
        #expect(list.logID(at: 21) == lid(6, 3, 21))
    }

    @Test func backtrackingHintFindsTheLastEntryOfAnOlderLeader() {
        let list = sample()
        #expect(list.lastIndex(atOrBefore: 9, withLeaderAtMost: LeaderID(term: 3, nodeID: 9)) == 6)
        #expect(list.lastIndex(atOrBefore: 5, withLeaderAtMost: LeaderID(term: 2, nodeID: 2)) == 5)
        #expect(list.lastIndex(atOrBefore: 9, withLeaderAtMost: LeaderID(term: 1, nodeID: 0)) == 0)
        #expect(list.lastIndex(atOrBefore: 9, withLeaderAtMost: nil) == 0)
    }
}
