import DequeModule

extension RaftEngine {
    /// Initializes a pristine node with the cluster's first membership. Call it on one node,
    /// or on every node with the identical membership; a second call is harmless and reports
    /// ``InitializeError/alreadyInitialized(lastLogID:vote:)``.
    @inlinable public mutating func initialize(_ initialMembership: Membership<T>) throws(InitializeError) {
        guard log.last == nil, vote == .initial, snapshot == nil else {
            throw .alreadyInitialized(lastLogID: log.last, vote: vote)
        }
        guard !votingSuspended else { throw .storageLost }
        if let error = initialMembership.config.validationError { throw .invalidMembership(error) }
        guard initialMembership.config.isJoint == false else { throw .invalidMembership("the first membership must be uniform") }
        guard initialMembership.config.isVoter(id) else { throw .notAVoter(id) }
        let entry = Entry<T>(logID: LogID(leaderID: .initial, index: 1), payload: .membership(initialMembership))
        appendToLog([entry])
        // Campaign at once: the other members are pristine and know no membership yet.
        if electionEnabled { startCampaign(leadershipTransfer: false) }
    }

    @inlinable mutating func becomeLeader() {
        precondition(role == .candidate && vote.votedFor == id && !vote.committed, "only a candidate with its own vote becomes leader")
        let leaderID = LeaderID(term: vote.term, nodeID: id)
        updateVote(.leader(leaderID))
        role = .leader
        campaign = nil
        lastLeaderContact = now
        leaderPresumedLost = false
        let blank = Entry<T>(logID: LogID(leaderID: leaderID, index: log.lastIndex + 1), payload: .blank)
        leader = LeaderState(leaderID: leaderID, firstLogID: blank.logID, heartbeatDeadline: now + config.heartbeatInterval, electedAt: now)
        leader!.leadsAsNonVoter = !isVoter
        syncProgressWithMembership()
        emitEvent(.becameLeader(leaderID))
        settleTransfer(newLeader: id)
        appendToLog([blank])
        leader!.heartbeatDue = true
        finishInheritedJointChange()
        advanceCommit()
    }

    /// Appends client commands as new entries (leader only) and returns the id of the first;
    /// the others follow it contiguously. Replication starts when commands are taken.
    @discardableResult
    @inlinable public mutating func propose(_ commands: [T.Command]) throws(ProposeError) -> LogID? {
        // Reads through `leader!` rather than a copy of the whole leader state: every write
        // passes here.
        guard role == .leader, leader != nil else { throw .forwardToLeader(forwardTarget) }
        if let target = leader!.transfer?.target { throw .transferringLeadership(to: target) }
        if leader!.removedFromMembership || leader!.leadsAsNonVoter { throw .forwardToLeader(forwardTarget) }
        let leaderID = leader!.leaderID
        guard !commands.isEmpty else { return nil }
        var entries: [Entry<T>] = []
        entries.reserveCapacity(commands.count)
        var index = log.lastIndex
        for command in commands {
            index += 1
            entries.append(Entry(logID: LogID(leaderID: leaderID, index: index), payload: .command(command)))
        }
        appendToLog(entries)
        advanceCommit()
        return entries[0].logID
    }

    /// Makes the leader send a heartbeat to every peer in the next step.
    @inlinable public mutating func triggerHeartbeat() {
        guard role == .leader else { return }
        leader!.heartbeatDue = true
    }

    /// Checks quorum contact, leadership transfer deadline, heartbeats and stuck pipelines.
    @inlinable mutating func leaderTick() {
        guard leader != nil else { return }
        if config.checkQuorum, now >= reusableCheckQuorumDeadline ?? now {
            let deadline = checkQuorumDeadline
            if now >= deadline {
                stepDown(.lostQuorumContact)
                return
            }
            leader!.checkQuorumFloor = (membership.effective.logID, deadline)
        }
        if let transfer = leader!.transfer, now >= transfer.deadline {
            leader!.transfer = nil
            if let token = transfer.token { output.append(.reply(token, .leaderTransfer(.failure(.timedOut)))) }
        }
        if heartbeatEnabled && now >= leader!.heartbeatDeadline {
            leader!.heartbeatDue = true
        }
        expireStuckRequests()
    }

    /// When a commit quorum last acknowledged this leader, measured at send time. Peers that
    /// never answered count from the election, so a new leader gets one timeout of grace.
    @inlinable var quorumContactTime: RaftInstant {
        // Reads through `leader!` rather than a copy of the whole leader state.
        guard let electedAt = leader?.electedAt else { return now }
        let quorum = membership.effective.config.quorum
        let value = quorum.quorumValue { peer -> UInt64 in
            if peer == id { return now.nanoseconds }
            guard leader!.progress[peer]?.votingSuspended != true else { return electedAt.nanoseconds }
            let acknowledged = leader!.progress[peer]?.lastAckSentAt ?? electedAt
            return max(acknowledged, electedAt).nanoseconds
        }
        return RaftInstant(nanoseconds: value)
    }

    @inlinable var checkQuorumDeadline: RaftInstant { quorumContactTime + config.electionTimeoutMax }

    /// ``checkQuorumDeadline`` or an earlier instant, without the quorum computation in most
    /// steps. Under one membership the deadline never moves back (acknowledgement times only
    /// grow), so one computed earlier is a lower bound until then; the tick recomputes it only
    /// once `now` reaches it. A new membership (other voters) invalidates it.
    @inlinable var checkQuorumDeadlineFloor: RaftInstant { reusableCheckQuorumDeadline ?? checkQuorumDeadline }

    /// The deadline the tick computed last, while the membership it was computed under is
    /// still the effective one.
    @inlinable var reusableCheckQuorumDeadline: RaftInstant? {
        guard let floor = leader?.checkQuorumFloor, floor.membership == membership.effective.logID else { return nil }
        return floor.deadline
    }

    /// Whether a lease read may be served: a commit quorum acknowledged a message sent less
    /// than `leaseDuration` ago, so no other leader can have been elected since.
    @inlinable var isLeaseValid: Bool {
        guard let leader else { return false }
        // Voters grant a campaign started by TimeoutNow however recently they heard from this
        // leader: once one went out, this leadership can end before its lease does.
        if leader.progress.values.contains(where: { $0.timeoutNowSent }) { return false }
        let quorum = membership.effective.config.quorum
        let renewedBySends = testingFaults.contains(.leaseRenewedBySends)
        let value = quorum.quorumValue { peer -> UInt64 in
            if peer == id { return now.nanoseconds }
            guard leader.progress[peer]?.votingSuspended != true else { return 0 }
            let acknowledged = leader.progress[peer]?.lastAckSentAt?.nanoseconds ?? 0
            guard renewedBySends else { return acknowledged }
            return max(acknowledged, leader.progress[peer]?.sent.last?.sentAt.nanoseconds ?? 0)
        }
        return value > 0 && now < RaftInstant(nanoseconds: value) + config.leaseDuration
    }

    /// Leaves leadership, failing what only a leader could finish.
    @inlinable mutating func stepDown(_ reason: StepDownReason) {
        guard var state = leader else { return }
        emitEvent(.steppedDown(reason: reason))
        let forward = ForwardToLeader(leaderID: vote.committed && vote.votedFor != id ? vote.votedFor : nil, notAMember: reason == .removedFromMembership)
        while let read = state.readsAwaitingQuorum.popFirst() {
            output.append(.reply(read.token, .readIndex(.failure(.leadershipLost(forward)))))
        }
        if let transfer = state.transfer, let token = transfer.token {
            if case .higherVote(let newVote) = reason, newVote.votedFor == transfer.target {
                // The target campaigns; the transfer succeeded once it leads.
                if newVote.committed {
                    output.append(.reply(token, .leaderTransfer(.success(transfer.target))))
                } else {
                    transferAwaitingOutcome = transfer
                }
            } else {
                output.append(.reply(token, .leaderTransfer(.failure(.leadershipLost(forward)))))
            }
        }
        if let change = state.membershipChange, let token = change.token {
            output.append(.reply(token, .membershipChange(.failure(.leadershipLost(forward)))))
        }
        state.transfer = nil
        state.membershipChange = nil
        leader = nil
        role = .follower
        campaign = nil
        lastLeaderContact = nil
        resetElectionDeadline()
    }

    /// Commits the highest index a commit quorum holds durably, if this leader wrote it
    /// (entries of earlier leaders commit only indirectly: Raft §5.4.2, Figure 8).
    @inlinable mutating func advanceCommit() {
        // Reads through `leader!` rather than a copy of the whole leader state: this runs for
        // every acknowledgement.
        guard let leaderID = leader?.leaderID else { return }
        let quorum = membership.effective.config.quorum
        let durableIndex = testingFaults.contains(.commitCountsUnflushedEntries) ? log.lastIndex : io.durableLogID.indexOrZero
        let index = quorum.quorumValue { peer -> UInt64 in
            guard peer != id else { return durableIndex }
            guard leader!.progress[peer]?.votingSuspended != true else { return 0 }
            return leader!.progress[peer]?.matchedIndex ?? 0
        }
        guard index > committed.indexOrZero, let candidate = log.logID(at: index),
              candidate.leaderID == leaderID || testingFaults.contains(.commitsEarlierLeadersEntries) else { return }
        _committed = candidate
        commitAdvanced()
    }

    /// Reacts to a new commit point: memberships that became committed, apply.
    @inlinable mutating func commitAdvanced() {
        for stored in membership.commit(upTo: committed.indexOrZero) {
            emitEvent(.membershipCommitted(stored.logID!, stored.config))
            if role == .leader { leaderMembershipCommitted(stored) }
        }
        triggerApplyIfNeeded()
    }
}
