import Synchronization

/// A log store wrapper that validates every call: the vote never goes backwards, appends are
/// contiguous, truncation and purge stay inside the log, purge never passes what is applied,
/// reads return exactly what was asked, and each append is reported durable once.
public final class DefensiveLogStorage<Types: RaftTypeConfig>: RaftLogStorage {
    @usableFromInline let base: any RaftLogStorage<Types>
    @usableFromInline let tracker: DefensiveTracker

    @inlinable init(base: any RaftLogStorage<Types>, tracker: DefensiveTracker) {
        self.base = base
        self.tracker = tracker
    }

    /// As the wrapped store's: the checks themselves never block.
    @inlinable public var neverBlocks: Bool { base.neverBlocks }
    /// As the wrapped store's.
    @inlinable public var isDurable: Bool { base.isDurable }
    /// Closes the wrapped store.
    @inlinable public func close() async { await base.close() }

    @inlinable func known() async throws(StorageError) -> LogState {
        if let state = tracker.state.withLock({ $0.logState }) { return state }
        let state = try await base.logState()
        tracker.state.withLock { $0.logState = state }
        return state
    }

    @inlinable public func logState() async throws(StorageError) -> LogState {
        let reported = try await base.logState()
        let expected: LogState? = tracker.state.withLock { tracked in
            if tracked.logState == nil { tracked.logState = reported }
            return tracked.logState
        }
        if let expected, expected != reported { throw violation(.logStateMismatch(expected: expected, reported: reported), .logState, .read) }
        return reported
    }

    @inlinable nonisolated(nonsending) public func entries(in range: Range<LogIndex>) async throws(StorageError) -> [Entry<Types>] {
        let state = try await known()
        let entries = try await base.entries(in: range)
        for entry in entries where !range.contains(entry.index) {
            throw violation(.readOutsideRequest(requested: range, got: entry.index), .logRange(range), .read)
        }
        let first = max(range.lowerBound, state.lastPurgedLogID.indexOrZero + 1)
        let last = min(range.upperBound, state.lastLogID.indexOrZero + 1)
        var expected = first
        for entry in entries {
            if entry.index != expected { throw violation(.readHasGap(requested: range, missing: expected), .logRange(range), .read) }
            expected += 1
        }
        if first < last && expected < last { throw violation(.readHasGap(requested: range, missing: expected), .logRange(range), .read) }
        return entries
    }

    @inlinable nonisolated(nonsending) public func append(_ entries: [Entry<Types>], onDurable: @escaping LogFlushCallback) async throws(StorageError) {
        guard let first = entries.first else { throw violation(.emptyAppend, .logRange(0..<0), .write) }
        let state = try await known()
        let last = state.lastLogID
        if first.index != last.indexOrZero + 1 {
            throw violation(.appendNotContiguous(expectedIndex: last.indexOrZero + 1, got: first.index), .logEntry(first.logID), .write)
        }
        if let last, first.logID.leaderID < last.leaderID {
            throw violation(.appendLeaderWentBackwards(last: last, first: first.logID), .logEntry(first.logID), .write)
        }
        var previous = first
        for entry in entries.dropFirst() {
            if entry.index != previous.index + 1 {
                throw violation(.appendNotContiguous(expectedIndex: previous.index + 1, got: entry.index), .logEntry(entry.logID), .write)
            }
            if entry.logID.leaderID < previous.logID.leaderID {
                throw violation(.appendLeaderWentBackwards(last: previous.logID, first: entry.logID), .logEntry(entry.logID), .write)
            }
            previous = entry
        }
        let reported = Mutex(false)
        try await base.append(entries) { result in
            let second = reported.withLock { flag in
                defer { flag = true }
                return flag
            }
            onDurable(second ? .failure(violation(.flushReportedTwice, .logEntry(entries.last!.logID), .sync)) : result)
        }
        tracker.state.withLock { $0.logState?.lastLogID = entries.last!.logID }
    }

    @inlinable nonisolated(nonsending) public func truncate(after logID: LogID?) async throws(StorageError) {
        let state = try await known()
        if logID.indexOrZero < state.lastPurgedLogID.indexOrZero || logID.indexOrZero > state.lastLogID.indexOrZero {
            throw violation(.truncateOutsideLog(after: logID, purged: state.lastPurgedLogID, last: state.lastLogID), .logEntry(logID), .delete)
        }
        try await base.truncate(after: logID)
        tracker.state.withLock { $0.logState?.lastLogID = logID ?? state.lastPurgedLogID }
    }

    @inlinable nonisolated(nonsending) public func purge(upTo logID: LogID) async throws(StorageError) {
        let state = try await known()
        if logID.index <= state.lastPurgedLogID.indexOrZero {
            throw violation(.purgeBackwards(purged: state.lastPurgedLogID, requested: logID), .logEntry(logID), .delete)
        }
        let applied: (known: Bool, id: LogID?) = tracker.state.withLock { ($0.appliedKnown, $0.lastApplied) }
        if applied.known && logID.index > applied.id.indexOrZero {
            throw violation(.purgeBeyondApplied(applied: applied.id, requested: logID), .logEntry(logID), .delete)
        }
        try await base.purge(upTo: logID)
        tracker.state.withLock { tracked in
            tracked.logState?.lastPurgedLogID = logID
            if logID.index >= state.lastLogID.indexOrZero { tracked.logState?.lastLogID = logID }
        }
    }

    @inlinable nonisolated(nonsending) public func saveVote(_ vote: Vote) async throws(StorageError) {
        let previous = tracker.state.withLock { $0.vote }
        if let previous, !vote.isAtLeast(previous, mode: tracker.leaderIDMode) {
            throw violation(.voteWentBackwards(from: previous, to: vote), .vote, .write)
        }
        try await base.saveVote(vote)
        tracker.state.withLock { $0.vote = vote }
    }

    @inlinable public func readVote() async throws(StorageError) -> Vote? {
        let vote = try await base.readVote()
        tracker.state.withLock { if $0.vote == nil { $0.vote = vote } }
        return vote
    }

    @inlinable nonisolated(nonsending) public func saveCommitted(_ committed: LogID?) async throws(StorageError) {
        let previous = tracker.state.withLock { $0.committed }
        if let previous, committed.indexOrZero < previous.index {
            throw violation(.committedWentBackwards(from: previous, to: committed), .committed, .write)
        }
        try await base.saveCommitted(committed)
        tracker.state.withLock { $0.committed = committed }
    }

    @inlinable public func readCommitted() async throws(StorageError) -> LogID? {
        let committed = try await base.readCommitted()
        tracker.state.withLock { if $0.committed == nil { $0.committed = committed } }
        return committed
    }
}
