/// Reads what a node needs to restart from its log store and state machine.
@usableFromInline struct Recovery<Types: RaftTypeConfig> {
    @usableFromInline let log: any RaftLogStorage<Types>
    @usableFromInline let stateMachine: any RaftStateMachine<Types>
    /// How many of the newest entries to hand the engine for its cache.
    @usableFromInline let tailEntries: Int

    @inlinable init(log: any RaftLogStorage<Types>, stateMachine: any RaftStateMachine<Types>, tailEntries: Int) {
        self.log = log
        self.stateMachine = stateMachine
        self.tailEntries = tailEntries
    }

    @inlinable func load(votingSuspended: Bool) async throws(StorageError) -> RecoveredState<Types> {
        let vote = try await log.readVote() ?? .initial
        let committed = try await log.readCommitted()
        let logState = try await log.logState()
        var applied = try await stateMachine.appliedState()
        let snapshot = try await stateMachine.currentSnapshot()
        // A volatile state machine with a durable snapshot starts from that snapshot.
        if let snapshot, applied.lastApplied.indexOrZero < snapshot.meta.lastLogID.indexOrZero {
            try await stateMachine.installSnapshot(snapshot)
            applied = try await stateMachine.appliedState()
        }
        let purgedIndex = logState.lastPurgedLogID.indexOrZero
        if applied.lastApplied.indexOrZero < purgedIndex {
            throw StorageError(
                subject: .stateMachine, verb: .read,
                reason: """
                    the state machine applied up to \(applied.lastApplied.indexOrZero) but the log is purged up to \(purgedIndex) \
                    and no snapshot covers the gap: the state machine's snapshots did not survive the restart. Keep them on \
                    disk (DurableSnapshotStateMachine in RaftFileStore). To bring this node back now, wipe its log \
                    directory and start it with storageLost: true; it catches up from the leader's snapshot
                    """)
        }
        let first = logState.lastPurgedLogID.indexOrZero + 1
        let last = logState.lastLogID.indexOrZero
        let runStarts = try await LogIDRunsLoader(log: log).runStarts(from: first, through: last)

        // Memberships the state machine has not seen yet, and the newest entries for the cache.
        var memberships: [StoredMembership<Types>] = []
        var tail: [Entry<Types>] = []
        var start = max(first, applied.lastApplied.indexOrZero + 1)
        let tailStart = last >= LogIndex(tailEntries) ? last - LogIndex(tailEntries) + 1 : 1
        while start <= last {
            let end = min(last + 1, start + 4096)
            let entries = try await log.entries(in: start..<end)
            for entry in entries {
                if let membership = entry.membership { memberships.append(StoredMembership(logID: entry.logID, membership: membership)) }
                if entry.index >= tailStart { tail.append(entry) }
            }
            start = end
        }
        return RecoveredState(
            vote: vote, lastPurgedLogID: logState.lastPurgedLogID, logRunStarts: runStarts, lastLogID: logState.lastLogID,
            committed: committed, lastApplied: applied.lastApplied, appliedMembership: applied.membership,
            membershipsAfterApplied: memberships, snapshot: snapshot?.meta, tailEntries: tail,
            votingSuspended: votingSuspended)
    }
}

/// Finds where each leader's run of entries starts, by binary search: leader ids never
/// decrease along a log, so each run costs O(log n) single-entry reads, not a full scan.
@usableFromInline struct LogIDRunsLoader<Types: RaftTypeConfig> {
    @usableFromInline let log: any RaftLogStorage<Types>

    @inlinable init(log: any RaftLogStorage<Types>) {
        self.log = log
    }

    @inlinable func runStarts(from first: LogIndex, through last: LogIndex) async throws(StorageError) -> [LogID] {
        guard first <= last else { return [] }
        var starts: [LogID] = []
        var runStart = try await logID(at: first)
        while true {
            starts.append(runStart)
            // The last index written by runStart's leader.
            var low = runStart.index
            var high = last
            while low < high {
                let mid = low + (high - low + 1) / 2
                if try await logID(at: mid).leaderID == runStart.leaderID { low = mid } else { high = mid - 1 }
            }
            if low == last { return starts }
            runStart = try await logID(at: low + 1)
        }
    }

    @inlinable func logID(at index: LogIndex) async throws(StorageError) -> LogID {
        guard let entry = try await log.entries(in: index..<(index + 1)).first, entry.index == index else {
            throw StorageError(subject: .logEntry(nil), verb: .read, reason: "entry \(index) is missing inside the log", isCorruption: true)
        }
        return entry.logID
    }
}
