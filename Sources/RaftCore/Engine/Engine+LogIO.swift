import DequeModule

extension RaftEngine {
    /// Numbers a new log I/O. Any log I/O other than an append closes the open append, so that
    /// entries are never merged across it.
    @inlinable mutating func issueLogIO(lastLogIDAfter: LogID?) -> IOID {
        openAppend = nil
        return io.issue(lastLogIDAfter: lastLogIDAfter)
    }

    /// Appends entries that continue the log, coalescing with an append issued earlier in the
    /// same step so that one step produces one storage write.
    @inlinable mutating func appendToLog(_ entries: [Entry<T>]) {
        guard !entries.isEmpty else { return }
        var membershipChanged = false
        for entry in entries {
            log.append(entry.logID)
            cache.append(entry)
            if let newMembership = entry.membership {
                membership.append(StoredMembership(logID: entry.logID, membership: newMembership))
                membershipChanged = true
            }
        }
        if let open = openAppend, case .appendEntries(var pending, let ioID) = output[open.position] {
            output[open.position] = .buildSnapshot
            pending.append(contentsOf: entries)
            output[open.position] = .appendEntries(pending, io: ioID)
            io.extend(io: ioID, lastLogIDAfter: log.last)
        } else {
            let ioID = issueLogIO(lastLogIDAfter: log.last)
            openAppend = (position: output.count, io: ioID)
            output.append(.appendEntries(entries, io: ioID))
        }
        if membershipChanged && role == .leader { syncProgressWithMembership() }
        evictCacheIfOverBudget()
    }

    /// Removes every entry after `index`. Committed entries are never removed.
    @inlinable mutating func truncateLog(after index: LogIndex) {
        precondition(
            index >= committed.indexOrZero || testingFaults.contains(.truncatesCommittedEntries),
            "committed entries are never truncated")
        precondition(index >= log.purgedIndex, "purged entries cannot be truncated")
        guard index < log.lastIndex else { return }
        log.truncate(after: index)
        cache.truncate(after: index)
        membership.truncate(after: index)
        io.clamp(to: log.last)
        output.append(.truncateLog(after: log.last, io: issueLogIO(lastLogIDAfter: log.last)))
    }

    /// Replaces the whole log by "purged up to `last`", which a durable snapshot covers.
    ///
    /// Entries after `last` are truncated first, but never below the purge point (the storage
    /// contract forbids touching purged entries); the purge then removes everything up to
    /// `last`, whatever its ids, and leaves `last` as the log's last id.
    @inlinable mutating func replaceLog(bySnapshotAt last: LogID) {
        let keep = max(last.index, log.purgedIndex)
        if log.lastIndex > keep {
            output.append(.truncateLog(after: log.logID(at: keep), io: issueLogIO(lastLogIDAfter: nil)))
        }
        log = .empty
        log.purge(upTo: last)
        cache.reset(nextIndex: last.index + 1)
        io.clamp(to: last)
        output.append(.purgeLog(upTo: last, io: issueLogIO(lastLogIDAfter: last)))
    }

    /// Removes entries up to `index`, which a snapshot covers.
    @inlinable mutating func purgeLog(upTo index: LogIndex) {
        guard index > log.purgedIndex, let purgedID = log.logID(at: index) else { return }
        log.purge(upTo: purgedID)
        cache.evict(upTo: index)
        output.append(.purgeLog(upTo: purgedID, io: issueLogIO(lastLogIDAfter: log.last)))
    }

    /// Log I/O through `ioID` is durable (including every earlier one).
    @inlinable public mutating func logIOFlushed(upTo ioID: IOID) {
        guard ioID > io.flushed else { return }
        precondition(ioID <= io.lastIssued, "flush reported for an I/O that was never issued")
        io.flushed = ioID
        while let first = io.pending.first, first.io <= ioID {
            io.durableLogID = first.lastLogID
            io.pending.removeFirst()
        }
        // The purged part is covered by a durable snapshot.
        if io.durableLogID.indexOrZero < log.purgedIndex { io.durableLogID = log.purged }
        while let held = heldMessages.first, held.io <= ioID {
            heldMessages.removeFirst()
            output.append(.send(to: held.to, held.message))
        }
        countSelfVoteIfDurable()
        if role == .leader { advanceCommit() }
        triggerApplyIfNeeded()
    }

    /// The answer to ``EngineCommand/readEntries(id:range:)``. Entries the store no longer has
    /// (purged meanwhile) are simply missing.
    @inlinable public mutating func entriesRead(id readID: ReadID, entries: [Entry<T>]) {
        if let pending = applyRead, pending.id == readID {
            applyRead = nil
            applyReadEntries(entries, range: pending.range)
            return
        }
        guard role == .leader, let peer = leader?.progress.first(where: { $0.value.pendingRead == readID })?.key else { return }
        leader!.progress[peer]!.pendingRead = nil
        sendReadEntries(entries, to: peer)
    }

    @inlinable mutating func applyReadEntries(_ entries: [Entry<T>], range: Range<LogIndex>) {
        // A snapshot install issued while this read was out runs on the state machine first;
        // applying older entries after it would move the state machine backwards (field
        // lesson 4). Apply resumes after the snapshot once it is installed.
        guard snapshotInstall == nil else { return }
        var valid: [Entry<T>] = []
        valid.reserveCapacity(entries.count)
        var expected = applySubmitted.indexOrZero + 1
        for entry in entries where entry.index == expected {
            guard entry.index <= committed.indexOrZero, log.logID(at: entry.index) == entry.logID || entry.index <= log.purgedIndex else { break }
            valid.append(entry)
            expected += 1
        }
        if !valid.isEmpty {
            applySubmitted = valid.last!.logID
            output.append(.apply(valid))
        }
        triggerApplyIfNeeded()
    }

    /// Hands committed, locally durable entries to the state machine, in batches.
    @inlinable mutating func triggerApplyIfNeeded() {
        guard applyRead == nil, snapshotInstall == nil else { return }
        let applicable = testingFaults.contains(.appliesBeforeCommit) ? log.lastIndex : committed.indexOrZero
        let upTo = min(applicable, io.durableLogID.indexOrZero)
        let start = applySubmitted.indexOrZero + 1
        guard upTo >= start else { return }
        let end = min(upTo + 1, start + LogIndex(config.maxEntriesPerApply))
        if cache.contains(start) && end <= cache.endIndex {
            let entries = cache.slice(from: start, to: end, maxEntries: config.maxEntriesPerApply, maxBytes: .max)
            applySubmitted = entries.last!.logID
            output.append(.apply(entries))
            if end <= upTo { triggerApplyIfNeeded() }
        } else {
            let readID = nextReadID
            nextReadID += 1
            applyRead = (id: readID, range: start..<end)
            output.append(.readEntries(id: readID, range: start..<end))
        }
    }

    /// The state machine applied every entry through `logID`.
    @inlinable public mutating func applied(upTo logID: LogID) {
        precondition(logID.index <= applySubmitted.indexOrZero, "applied beyond what was submitted")
        guard logIDLess(applied, logID) else { return }
        _applied = logID
        serveReadsAwaitingApply()
        maybeBuildSnapshot()
        evictCacheIfOverBudget()
    }

    /// Drops cached entries nobody needs: applied, and (on a leader) matched by every peer;
    /// beyond the budget, the oldest go regardless and are read back from storage if needed.
    @inlinable mutating func evictCacheIfOverBudget() {
        var floor = min(applied.indexOrZero, io.durableLogID.indexOrZero)
        // In place rather than `if let leader`, which copies the leader state on every apply.
        if leader != nil {
            for progress in leader!.progress.values { floor = min(floor, progress.matchedIndex) }
        }
        if floor >= cache.firstIndex { cache.evict(upTo: floor) }
        while cache.count > config.maxCachedEntries || (cache.byteCount > config.maxCachedBytes && cache.count > 1) {
            cache.evict(upTo: cache.firstIndex)
        }
    }
}
