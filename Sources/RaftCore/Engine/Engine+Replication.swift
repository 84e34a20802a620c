import DequeModule

extension RaftEngine {
    /// Keeps one progress per node of the effective membership (voters and learners), so a
    /// removed node stops receiving entries (field lesson 15) and a new one starts probing.
    @inlinable mutating func syncProgressWithMembership() {
        guard leader != nil else { return }
        let targets = membership.effective.config.allNodeIDs.subtracting([id])
        for peer in leader!.progress.keys where !targets.contains(peer) {
            leader!.progress[peer] = nil
        }
        for peer in targets where leader!.progress[peer] == nil {
            leader!.progress[peer] = Progress(nextIndex: log.lastIndex + 1)
            // Nothing is in flight to a new peer and nothing may be appended soon: probe it in
            // this step, not at the next heartbeat.
            leader!.heartbeatDue = true
        }
        leader!.peerOrder = targets.sorted()
        if let transfer = leader!.transfer, !membership.effective.config.isVoter(transfer.target) {
            leader!.transfer = nil
            if let token = transfer.token { output.append(.reply(token, .leaderTransfer(.failure(.targetNotVoter(transfer.target))))) }
        }
    }

    /// Forms the messages of this step: new entries, commit updates, heartbeats, read rounds,
    /// the transfer hand-off. At most one pass per peer per step.
    @inlinable mutating func pumpReplication() {
        guard leader != nil else { return }
        let broadcast = leader!.heartbeatDue || leader!.roundNeedsBroadcast
        if leader!.heartbeatDue { leader!.heartbeatDeadline = now + config.heartbeatInterval }
        leader!.heartbeatDue = false
        leader!.roundNeedsBroadcast = false
        for peer in leader!.peerOrder {
            let sentEntries = replicate(to: peer)
            if !sentEntries {
                // The copy of the progress ends before `sendAppend` changes it, so its buffer
                // stays unshared (see `LeaderState.takeProgress(of:)`).
                var heartbeatAfter: LogID??
                do {
                    let progress = leader!.progress[peer]!
                    let commitBehind = progress.sentCommitIndex < min(committed.indexOrZero, progress.matchedIndex)
                    if (broadcast || commitBehind) && progress.retryAfter <= now { heartbeatAfter = .some(progress.matched) }
                }
                if let prevLogID = heartbeatAfter {
                    sendAppend(to: peer, prevLogID: prevLogID, entries: [])
                }
            }
        }
        if let transfer = leader!.transfer { sendTimeoutNowIfCaughtUp(transfer.target) }
        if leader!.removedFromMembership {
            handOver(.removedFromMembership)
        } else if learnerLeaderMayHandOver {
            handOver(.handedOverToVoter)
        }
    }

    /// Sends entries to `peer` as its mode and the in-flight limits allow. Returns whether a
    /// message with entries (or a snapshot) went out.
    @inlinable mutating func replicate(to peer: NodeID) -> Bool {
        // Most steps have nothing new for most peers: with nothing past `nextIndex` no path
        // below sends or changes anything, so answer without taking the progress out.
        if let nextIndex = leader!.progress[peer]?.nextIndex, nextIndex > log.lastIndex { return false }
        var progress = leader!.takeProgress(of: peer)!
        defer { leader!.progress[peer] = progress }
        guard progress.retryAfter <= now, progress.pendingRead == nil else { return false }
        switch progress.mode {
        case .snapshot:
            return false
        case .probe:
            if progress.inflightMessages > 0 { return false }
        case .replicate:
            break
        }
        if progress.nextIndex <= log.purgedIndex {
            leader!.progress[peer] = progress
            startSnapshot(to: peer)
            progress = leader!.takeProgress(of: peer)!
            return true
        }
        let end = log.lastIndex + 1
        var sentAny = false
        while progress.nextIndex < end {
            if progress.mode == .probe && progress.inflightMessages > 0 { break }
            if progress.inflightMessages >= config.maxInflightMessages || progress.inflightBytes >= config.maxInflightBytes { break }
            let start = progress.nextIndex
            guard cache.contains(start) else {
                let readID = nextReadID
                nextReadID += 1
                progress.pendingRead = readID
                output.append(.readEntries(id: readID, range: start..<min(end, start + LogIndex(config.maxEntriesPerMessage))))
                break
            }
            let entries = cache.slice(from: start, to: end, maxEntries: config.maxEntriesPerMessage, maxBytes: config.maxBytesPerMessage)
            record(&progress, sending: entries, prevLogID: log.logID(at: start - 1), to: peer)
            sentAny = true
        }
        return sentAny
    }

    /// Emits one append to `peer` and records it in `progress`.
    @inlinable mutating func record(_ progress: inout Progress, sending entries: [Entry<T>], prevLogID: LogID?, to peer: NodeID) {
        let rpcID = nextRPC()
        var bytes = 0
        for entry in entries { bytes += entry.byteCount }
        let endIndex = entries.last.map { $0.index + 1 } ?? 0
        progress.recordSent(Progress.Sent(rpcID: rpcID, sentAt: now, round: leader!.currentRound, endIndex: endIndex, bytes: bytes), maxHeartbeatRecords: 4)
        if endIndex > 0 { progress.nextIndex = endIndex }
        // The follower can commit no further than the last entry this message asserts.
        let assertedIndex = entries.last?.index ?? prevLogID.indexOrZero
        progress.sentCommitIndex = max(progress.sentCommitIndex, min(committed.indexOrZero, assertedIndex))
        let request = AppendEntriesRequest(vote: vote, prevLogID: prevLogID, entries: entries, leaderCommit: committed, rpcID: rpcID)
        output.append(.send(to: peer, .appendEntries(request)))
    }

    /// Sends an append (a heartbeat when `entries` is empty) outside the pipeline loop.
    @inlinable mutating func sendAppend(to peer: NodeID, prevLogID: LogID?, entries: [Entry<T>]) {
        var progress = leader!.takeProgress(of: peer)!
        record(&progress, sending: entries, prevLogID: prevLogID, to: peer)
        leader!.progress[peer] = progress
    }

    /// Entries read back from storage for `peer`'s pipeline.
    @inlinable mutating func sendReadEntries(_ entries: [Entry<T>], to peer: NodeID) {
        let progress = leader!.progress[peer]!
        var valid: [Entry<T>] = []
        var expected = progress.nextIndex
        for entry in entries where entry.index == expected && log.logID(at: entry.index) == entry.logID {
            valid.append(entry)
            expected += 1
        }
        guard !valid.isEmpty else {
            // The entries were purged meanwhile: this peer now needs a snapshot.
            if progress.nextIndex <= log.purgedIndex { startSnapshot(to: peer) }
            return
        }
        if case .snapshot = progress.mode { return }
        guard progress.inflightMessages < config.maxInflightMessages else { return }
        sendAppend(to: peer, prevLogID: log.logID(at: valid[0].index - 1), entries: valid)
    }

    // MARK: Snapshots

    @inlinable mutating func startSnapshot(to peer: NodeID) {
        guard let snapshot, snapshot.lastLogID.indexOrZero >= log.purgedIndex else {
            // Entries are purged but no snapshot is known: build one; the peer waits.
            triggerSnapshot()
            return
        }
        let rpcID = nextRPC()
        leader!.progress[peer]!.clearInflight()
        leader!.progress[peer]!.mode = .snapshot(rpcID: rpcID)
        emitEvent(.snapshotNeeded(peer: peer))
        output.append(.sendSnapshot(to: peer, InstallSnapshotRequest(vote: vote, meta: snapshot, rpcID: rpcID)))
    }

    @inlinable mutating func handleInstallSnapshotResponse(_ response: InstallSnapshotResponse, from sender: NodeID) {
        guard checkResponseVote(response.vote), var progress = leader?.progress[sender] else { return }
        guard case .snapshot(let rpcID) = progress.mode, rpcID == response.rpcID, case .installed(let matched) = response.outcome else { return }
        if logIDLess(progress.matched, matched) { progress.matched = matched }
        progress.mode = .probe
        progress.nextIndex = progress.matchedIndex + 1
        progress.consecutiveFailures = 0
        progress.retryAfter = .zero
        leader!.progress[sender] = progress
        advanceCommit()
    }

    // MARK: Responses

    /// Steps down when a response carries a greater vote; returns whether the response belongs
    /// to this leadership.
    @inlinable mutating func checkResponseVote(_ responseVote: Vote) -> Bool {
        guard role == .leader else { return false }
        if responseVote == vote { return true }
        highestTermSeen = max(highestTermSeen, responseVote.term)
        if responseVote.isAtLeast(vote, mode: config.leaderIDMode) || responseVote.term > vote.term {
            stepDown(.higherVote(responseVote))
        }
        return false
    }

    @inlinable mutating func handleAppendEntriesResponse(_ response: AppendEntriesResponse, from sender: NodeID) {
        guard checkResponseVote(response.vote), var progress = leader?.takeProgress(of: sender) else { return }
        let record = progress.acknowledge(rpcID: response.rpcID)
        if let record {
            let vouchedAt = testingFaults.contains(.leaseFromAckArrival) ? now : record.sentAt
            if progress.lastAckSentAt == nil || progress.lastAckSentAt! < vouchedAt { progress.lastAckSentAt = vouchedAt }
            progress.ackedRound = max(progress.ackedRound, record.round)
        }
        progress.consecutiveFailures = 0
        progress.retryAfter = .zero
        if response.votingSuspended && !progress.votingSuspended {
            // Its contact no longer counts, so an earlier check-quorum deadline may apply.
            leader!.checkQuorumFloor = nil
        }
        progress.votingSuspended = response.votingSuspended
        if response.votingSuspended { refuseTransfer(toSuspended: sender) }
        switch response.outcome {
        case .success(let matched):
            if let matched, !holdsOrCovers(matched) {
                emitEvent(.rejectedMessage(from: sender, reason: "acknowledged \(matched), which is not in the leader's log"))
                break
            }
            if logIDLess(progress.matched, matched) { progress.matched = matched }
            if case .snapshot = progress.mode { break }
            if progress.mode == .probe, (record?.endIndex ?? 0) > 0 || progress.inflightMessages == 0 {
                progress.mode = .replicate
            }
            if progress.inflightMessages == 0 || progress.nextIndex <= progress.matchedIndex {
                progress.nextIndex = progress.matchedIndex + 1
            }
        case let .conflict(hintIndex, hintLeaderID):
            guard record != nil else { break }
            if case .snapshot = progress.mode { break }
            if hintIndex < progress.matchedIndex {
                emitEvent(.followerLogReverted(peer: sender, previouslyMatched: progress.matched))
                progress.matched = nil
            }
            progress.clearInflight()
            progress.mode = .probe
            let matchPoint = log.lastIndex(atOrBefore: hintIndex, withLeaderAtMost: hintLeaderID)
            progress.nextIndex = max(matchPoint, progress.matchedIndex) + 1
            // At the purge point the leader can no longer compare entries: unless the hint names
            // the purged entry itself, the follower may disagree there and needs the snapshot
            // (probing from purged + 1 would be refused forever).
            let hintIsPurgedEntry = hintIndex == log.purgedIndex && hintLeaderID == log.purged?.leaderID
            if progress.nextIndex <= log.purgedIndex + 1, progress.matchedIndex < log.purgedIndex, !hintIsPurgedEntry {
                progress.nextIndex = min(progress.nextIndex, log.purgedIndex)
            }
        case .rejected:
            break
        }
        leader!.progress[sender] = progress
        advanceCommit()
        checkReadQuorum()
    }

    /// A request to `peer` could not be delivered (unreachable, timed out): restart its
    /// pipeline from the last known match and back off before the next attempt.
    @inlinable public mutating func deliveryFailed(to peer: NodeID, rpcID: UInt64) {
        guard role == .leader, var progress = leader?.takeProgress(of: peer) else { return }
        let wasTracked: Bool
        if case .snapshot(let snapshotRPC) = progress.mode {
            // Only the snapshot's own failure ends a snapshot transfer: a lost heartbeat must not
            // restart a possibly long transfer whose install would then be ignored (lesson 13).
            wasTracked = snapshotRPC == rpcID
        } else {
            wasTracked = progress.sent.contains { $0.rpcID == rpcID }
        }
        guard wasTracked else {
            leader!.progress[peer] = progress
            return
        }
        progress.clearInflight()
        progress.mode = .probe
        progress.nextIndex = progress.matchedIndex + 1
        progress.consecutiveFailures += 1
        let exponent = min(progress.consecutiveFailures - 1, 16)
        let backoff = min(config.maxBackoff.nanosecondsClamped, config.minBackoff.nanosecondsClamped << UInt64(exponent))
        progress.retryAfter = now + .nanoseconds(Int64(backoff))
        leader!.progress[peer] = progress
    }

    /// Requests unanswered for longer than the maximum election timeout are treated as lost,
    /// so a pipeline never waits forever on an executor that did not report a failure.
    @inlinable mutating func expireStuckRequests() {
        // Reads through `leader!` rather than a copy of the whole leader state, which would
        // retain and release every buffer it holds on every tick.
        guard let peerOrder = leader?.peerOrder else { return }
        let timeout = config.electionTimeoutMax
        for peer in peerOrder {
            guard let progress = leader!.progress[peer], let oldest = progress.sent.first(where: { $0.endIndex > 0 }) else { continue }
            if now >= oldest.sentAt + timeout {
                leader!.progress[peer]!.clearInflight()
                leader!.progress[peer]!.mode = .probe
                leader!.progress[peer]!.nextIndex = progress.matchedIndex + 1
            }
        }
    }
}
