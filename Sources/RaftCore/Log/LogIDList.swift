/// The ids of every entry in the log, stored as one element per leadership run, so that a
/// million entries written by a few leaders cost a few elements.
///
/// Covers indexes `(purged.index, last.index]`; the purged id itself is also answerable.
@usableFromInline struct LogIDList: Sendable, Equatable {
    @usableFromInline var purged: LogID?
    @usableFromInline var last: LogID?
    /// The first id of each run of consecutive entries written by one leader, ascending.
    @usableFromInline var runStarts: [LogID]

    @inlinable init(purged: LogID?, runStarts: [LogID], last: LogID?) {
        precondition(runStarts.isEmpty == (last.indexOrZero == purged.indexOrZero), "runs must cover exactly the unpurged log")
        if let first = runStarts.first {
            precondition(first.index == purged.indexOrZero + 1, "the first run starts right after the purged entry")
            precondition(runStarts.last!.leaderID == last!.leaderID, "the last run ends at the last entry")
        }
        self.purged = purged
        self.last = last ?? purged
        self.runStarts = runStarts
    }

    @inlinable static var empty: LogIDList { LogIDList(purged: nil, runStarts: [], last: nil) }

    @inlinable var purgedIndex: LogIndex { purged.indexOrZero }
    @inlinable var lastIndex: LogIndex { last.indexOrZero }
    /// The first index still held in the log (may exceed `lastIndex` when the log is empty).
    @inlinable var firstIndex: LogIndex { purgedIndex + 1 }
    @inlinable var isEmpty: Bool { runStarts.isEmpty }
    @inlinable var runCount: Int { runStarts.count }

    /// The id at `index`, if the log holds it or it is the purged id. Index 0 is "before the
    /// log": it has no id but always matches.
    @inlinable func logID(at index: LogIndex) -> LogID? {
        if let purged, index == purged.index { return purged }
        guard index > purgedIndex, index <= lastIndex else { return nil }
        if let lastRun = runStarts.last, index >= lastRun.index {
            return LogID(leaderID: lastRun.leaderID, index: index)
        }
        var low = 0
        var high = runStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if runStarts[mid].index <= index { low = mid } else { high = mid - 1 }
        }
        return LogID(leaderID: runStarts[low].leaderID, index: index)
    }

    /// Whether the log holds exactly `id` (or `id` is the purged id).
    @inlinable func contains(_ id: LogID) -> Bool { logID(at: id.index) == id }

    /// The largest index `<= index` whose entry was written by a leader `<= leaderID`, used for
    /// fast conflict back-tracking; returns the purged index when the log holds none.
    ///
    /// Leader ids never decrease along a log, so such entries form a prefix of it.
    @inlinable func lastIndex(atOrBefore index: LogIndex, withLeaderAtMost leaderID: LeaderID?) -> LogIndex {
        guard let leaderID else { return purgedIndex }
        var position = runStarts.count - 1
        while position >= 0 && runStarts[position].leaderID > leaderID { position -= 1 }
        guard position >= 0 else { return purgedIndex }
        let prefixEnd = position + 1 < runStarts.count ? runStarts[position + 1].index - 1 : lastIndex
        return max(purgedIndex, min(index, prefixEnd))
    }

    @inlinable mutating func append(_ id: LogID) {
        precondition(id.index == lastIndex + 1, "log ids are appended contiguously")
        precondition(last == nil || last!.leaderID <= id.leaderID, "a log never goes back to an older leader")
        if runStarts.last?.leaderID != id.leaderID { runStarts.append(id) }
        last = id
    }

    /// Drops every id after `index`.
    @inlinable mutating func truncate(after index: LogIndex) {
        precondition(index >= purgedIndex, "cannot truncate purged entries")
        guard index < lastIndex else { return }
        while let run = runStarts.last, run.index > index { runStarts.removeLast() }
        last = index == purgedIndex ? purged : LogID(leaderID: runStarts.last!.leaderID, index: index)
    }

    /// Forgets every id up to and including `id`. Purging at or past the last entry leaves an
    /// empty log whose purged id is `id`.
    @inlinable mutating func purge(upTo id: LogID) {
        guard id.index > purgedIndex else { return }
        if id.index >= lastIndex {
            runStarts.removeAll()
            purged = id
            last = id
            return
        }
        precondition(logID(at: id.index) == id, "purge must name an entry of this log")
        var keep = 0
        while keep + 1 < runStarts.count && runStarts[keep + 1].index <= id.index + 1 { keep += 1 }
        runStarts.removeFirst(keep)
        runStarts[0] = LogID(leaderID: runStarts[0].leaderID, index: id.index + 1)
        purged = id
    }

    /// Every run start, for tests and metrics.
    @inlinable var runs: [LogID] { runStarts }
}
