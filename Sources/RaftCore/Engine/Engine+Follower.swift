import DequeModule

extension RaftEngine {
    /// Accepts `requestVote` as the leader's if it is at least this node's vote; returns the
    /// I/O the reply must wait for (a changed vote must be durable first), or nil to reject.
    @inlinable mutating func acceptLeader(_ requestVote: Vote, from sender: NodeID) -> (accepted: Bool, dependency: IOID?) {
        guard requestVote.committed, requestVote.votedFor == sender else {
            emitEvent(.rejectedMessage(from: sender, reason: "request without a committed leader vote"))
            return (false, nil)
        }
        guard requestVote.isAtLeast(vote, mode: config.leaderIDMode) else {
            if testingFaults.contains(.followerAcceptsLowerVote), role == .follower { return (true, voteDurabilityDependency) }
            return (false, nil)
        }
        if requestVote != vote {
            updateVote(requestVote)
            emitEvent(.becameFollower(leader: sender, term: requestVote.term))
        }
        if role != .follower {
            if role == .leader { stepDown(.higherVote(requestVote)) }
            abandonCampaign()
        }
        lastLeaderContact = now
        leaderPresumedLost = false
        resetElectionDeadline()
        settleTransfer(newLeader: sender)
        return (true, voteDurabilityDependency)
    }

    @inlinable mutating func handleAppendEntries(_ request: AppendEntriesRequest<T>, from sender: NodeID) {
        // Checked before the request's vote is adopted: a garbled request changes nothing.
        guard isWellFormed(request) else {
            emitEvent(.rejectedMessage(from: sender, reason: "malformed append entries"))
            let outcome = AppendEntriesResponse.Outcome.conflict(hintIndex: committed.indexOrZero, hintLeaderID: committed?.leaderID)
            send(.appendEntriesResponse(AppendEntriesResponse(vote: vote, rpcID: request.rpcID, outcome: outcome, votingSuspended: votingSuspended)), to: sender, after: voteDurabilityDependency)
            return
        }
        let (accepted, voteDependency) = acceptLeader(request.vote, from: sender)
        guard accepted else {
            send(.appendEntriesResponse(AppendEntriesResponse(vote: vote, rpcID: request.rpcID, outcome: .rejected, votingSuspended: votingSuspended)), to: sender, after: nil)
            return
        }
        func reply(_ outcome: AppendEntriesResponse.Outcome, after dependency: IOID?) {
            send(.appendEntriesResponse(AppendEntriesResponse(vote: vote, rpcID: request.rpcID, outcome: outcome, votingSuspended: votingSuspended)), to: sender, after: dependency)
        }
        if let prev = request.prevLogID, !holdsOrCovers(prev) {
            let hintIndex = log.lastIndex(atOrBefore: prev.index, withLeaderAtMost: prev.leaderID)
            reply(.conflict(hintIndex: hintIndex, hintLeaderID: log.logID(at: hintIndex)?.leaderID), after: voteDependency)
            return
        }
        let newEntriesStart = appendNonConflicting(request.entries)
        guard let newEntriesStart else {
            emitEvent(.rejectedMessage(from: sender, reason: "append conflicts with a committed entry"))
            reply(.conflict(hintIndex: committed.indexOrZero, hintLeaderID: committed?.leaderID), after: voteDependency)
            return
        }
        if newEntriesStart < request.entries.count {
            appendToLog(Array(request.entries[newEntriesStart...]))
        }
        if testingFaults.contains(.truncatesCommittedEntries), request.lastLogID.indexOrZero >= log.purgedIndex {
            truncateLog(after: request.lastLogID.indexOrZero)
        }
        let matched = request.lastLogID
        if let leaderCommit = request.leaderCommit {
            advanceFollowerCommit(to: min(leaderCommit.index, matched.indexOrZero))
        }
        if request.entries.isEmpty {
            reply(.success(matched: durablePrefix(upTo: matched)), after: voteDependency)
        } else {
            reply(.success(matched: matched), after: io.lastIssued)
        }
    }

    /// Whether the log holds `logID`, or `logID` lies in the purged (snapshotted, committed) part.
    @inlinable func holdsOrCovers(_ logID: LogID) -> Bool {
        if logID.index <= log.purgedIndex { return true }
        return log.contains(logID)
    }

    /// Entries must be contiguous after `prevLogID` and written by leaders no newer than the sender.
    @inlinable func isWellFormed(_ request: AppendEntriesRequest<T>) -> Bool {
        var expectedIndex = request.prevLogID.indexOrZero + 1
        var previousLeader = request.prevLogID?.leaderID ?? LeaderID.initial
        guard let requestLeader = request.vote.leaderID else { return false }
        for entry in request.entries {
            guard entry.index == expectedIndex, entry.logID.leaderID >= previousLeader, entry.logID.leaderID <= requestLeader else { return false }
            expectedIndex += 1
            previousLeader = entry.logID.leaderID
        }
        if let leaderCommit = request.leaderCommit, leaderCommit.leaderID > requestLeader { return false }
        return true
    }

    /// Skips entries the log already holds and truncates at the first real conflict (never at
    /// mere absence: field lesson 5). Returns the position in `entries` where new entries
    /// start, or nil if a conflict would remove a committed entry.
    @inlinable mutating func appendNonConflicting(_ entries: [Entry<T>]) -> Int? {
        for (position, entry) in entries.enumerated() {
            if entry.index <= log.purgedIndex { continue }
            if entry.index > log.lastIndex { return position }
            if log.logID(at: entry.index) == entry.logID { continue }
            guard entry.index > committed.indexOrZero else { return nil }
            truncateLog(after: entry.index - 1)
            return position
        }
        return entries.count
    }

    /// The longest prefix of `matched` that is durable here.
    @inlinable func durablePrefix(upTo matched: LogID?) -> LogID? {
        guard let matched else { return nil }
        let durableIndex = io.durableLogID.indexOrZero
        if matched.index <= durableIndex || matched.index <= log.purgedIndex { return matched }
        return log.logID(at: durableIndex) ?? (durableIndex == log.purgedIndex ? log.purged : nil)
    }

    @inlinable mutating func advanceFollowerCommit(to index: LogIndex) {
        guard index > committed.indexOrZero, let newCommitted = log.logID(at: index) else { return }
        _committed = newCommitted
        commitAdvanced()
    }

    // MARK: Snapshots from the leader

    @inlinable mutating func handleInstallSnapshot(_ request: InstallSnapshotRequest<T>, from sender: NodeID) {
        func reply(_ outcome: InstallSnapshotResponse.Outcome, after dependency: IOID?) {
            send(.installSnapshotResponse(InstallSnapshotResponse(vote: vote, rpcID: request.rpcID, outcome: outcome)), to: sender, after: dependency)
        }
        // A snapshot cannot cover entries of a leader newer than the one sending it.
        if let snapshotLast = request.meta.lastLogID, let sendingLeader = request.vote.leaderID, snapshotLast.leaderID > sendingLeader {
            emitEvent(.rejectedMessage(from: sender, reason: "snapshot ends at \(snapshotLast), newer than its sender \(sendingLeader)"))
            return reply(.rejected, after: nil)
        }
        let (accepted, voteDependency) = acceptLeader(request.vote, from: sender)
        guard accepted else { return reply(.rejected, after: nil) }
        guard let snapshotLast = request.meta.lastLogID, snapshotLast.index > committed.indexOrZero else {
            // Older than what is committed here: nothing to install (and nothing to lose).
            return reply(.installed(matched: request.meta.lastLogID), after: voteDependency)
        }
        if let pending = snapshotInstall {
            if pending.meta.snapshotID != request.meta.snapshotID {
                emitEvent(.rejectedMessage(from: sender, reason: "snapshot \(request.meta.snapshotID) while installing \(pending.meta.snapshotID)"))
            }
            return
        }
        snapshotInstall = (meta: request.meta, from: sender, rpcID: request.rpcID)
        output.append(.installSnapshot(request.meta))
    }

    /// The state machine durably installed the snapshot: align the log with it and answer.
    @inlinable public mutating func snapshotInstalled(_ meta: SnapshotMeta<T>) {
        guard let pending = snapshotInstall, pending.meta.snapshotID == meta.snapshotID, let last = meta.lastLogID else { return }
        snapshotInstall = nil
        if log.contains(last) && last.index <= log.lastIndex {
            // The log continues the snapshot: keep the suffix, drop what the snapshot covers.
            log.purge(upTo: last)
            cache.evict(upTo: last.index)
            output.append(.purgeLog(upTo: last, io: issueLogIO(lastLogIDAfter: log.last)))
            membership.reset(committed: meta.lastMembership, keepingAfter: last.index)
        } else {
            // The log disagrees or ends earlier: it is entirely replaced by the snapshot.
            replaceLog(bySnapshotAt: last)
            membership.reset(committed: meta.lastMembership, keepingAfter: nil)
        }
        if io.durableLogID.indexOrZero < last.index { io.durableLogID = last }
        _committed = maxLogID(committed, last)
        _applied = maxLogID(applied, last)
        applySubmitted = maxLogID(applySubmitted, last)
        if logIDLess(snapshot?.lastLogID, last) { _snapshot = meta }
        membership.commit(upTo: committed.indexOrZero)
        let response = InstallSnapshotResponse(vote: vote, rpcID: pending.rpcID, outcome: .installed(matched: last))
        send(.installSnapshotResponse(response), to: pending.from, after: io.lastIssued)
        serveReadsAwaitingApply()
        triggerApplyIfNeeded()
    }
}
