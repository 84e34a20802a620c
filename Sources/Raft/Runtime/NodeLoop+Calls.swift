import DequeModule

/// A write received in the current turn, not yet proposed.
@usableFromInline struct TurnWrite<Types: RaftTypeConfig>: Sendable {
    @usableFromInline var responder: PendingWriteResponder<Types>
    @usableFromInline var callID: UInt64
    @usableFromInline var deadline: RaftInstant

    @inlinable init(responder: PendingWriteResponder<Types>, callID: UInt64, deadline: RaftInstant) {
        self.responder = responder
        self.callID = callID
        self.deadline = deadline
    }
}

/// Every client call ends: when its deadline passes, when its task is cancelled, and (for
/// writes) soon after the node stops leading. These are the runtime's bookkeeping for that;
/// what a call's answer is follows from the engine's state and is documented on
/// ``RaftError`` and ``UnknownOutcome``.
extension NodeLoop {
    @usableFromInline typealias TurnWrite = Raft.TurnWrite<Types>

    /// How long a cancellation that arrived before its call is remembered. The call is pushed
    /// right after the cancellation handler is installed, without suspending, so it follows
    /// within microseconds; the bound only keeps a lost race from growing the table.
    @inlinable static var earlyCancelMemory: Duration { .seconds(10) }

    /// When a call made with `tag` must be answered at the latest.
    @inlinable func deadline(of tag: CallTag) -> RaftInstant {
        if let timeout = tag.timeout { return turnNow.adding(saturating: timeout) }
        guard let nanoseconds = defaultTimeoutNanoseconds else { return .distantFuture }
        let (sum, overflow) = turnNow.nanoseconds.addingReportingOverflow(nanoseconds)
        return RaftInstant(nanoseconds: overflow ? .max : sum)
    }

    /// ``deadline(of:)``, and makes the loop wake for it.
    @inlinable func trackedDeadline(of tag: CallTag) -> RaftInstant {
        let deadline = deadline(of: tag)
        if deadline < earliestCallDeadline { earliestCallDeadline = deadline }
        return deadline
    }

    /// The task of call `id` was cancelled. Writes of this turn are not proposed yet: they end
    /// as ``RaftError/cancelled`` (nothing was done). Otherwise the call is remembered, so that
    /// it is refused if it arrives later in this batch or the next, and answered once this
    /// turn's writes are proposed (``answerCancelledCalls()``).
    @inlinable func cancel(_ id: UInt64) {
        if turnResponders.contains(where: { $0.callID == id }) {
            var index = turnResponders.count - 1
            while index >= 0 {
                if turnResponders[index].callID == id {
                    resolve(turnResponders.remove(at: index).responder, .failure(.cancelled))
                    turnCommands.remove(at: index)
                }
                index -= 1
            }
            return
        }
        let forgetAt = turnNow.adding(saturating: Self.earlyCancelMemory)
        earlyCancels[id] = forgetAt
        if forgetAt < earliestCallDeadline { earliestCallDeadline = forgetAt }
        cancelledCalls.append(id)
    }

    /// Answers the calls whose tasks were cancelled. A write already proposed may still
    /// commit, so it answers ``UnknownOutcome/cancelled``; other calls change nothing by
    /// ending, except a membership change whose entry is in the log.
    @inlinable func answerCancelledCalls() {
        let ids = cancelledCalls
        cancelledCalls.removeAll(keepingCapacity: true)
        for id in ids {
            var found = false
            if pendingWrites.contains(where: { $0.callID == id }) {
                found = true
                var kept = Deque<PendingWrite<Types>>()
                kept.reserveCapacity(pendingWrites.count)
                while let pending = pendingWrites.popFirst() {
                    if pending.callID == id {
                        resolve(pending.responder, .failure(.outcomeUnknown(.cancelled)))
                    } else {
                        kept.append(pending)
                    }
                }
                pendingWrites = kept
            }
            if let pending = pendingReads.removeValue(forKey: id) {
                found = true
                pending.continuation.resume(returning: .failure(.cancelled))
            }
            if let pending = pendingMembershipChanges.removeValue(forKey: id) {
                found = true
                pending.continuation.resume(returning: .failure(.outcomeUnknown(.cancelled)))
            }
            if let pending = pendingTransfers.removeValue(forKey: id) {
                found = true
                pending.continuation.resume(returning: .failure(.cancelled))
            }
            // Not found: either answered already (the cancellation came too late to matter),
            // or not arrived yet; it stays remembered for the second case.
            if found { earlyCancels.removeValue(forKey: id) }
        }
    }

    /// Answers every call whose deadline has passed, and finds the next deadline.
    @inlinable func sweepExpiredCalls() {
        let now = turnNow
        var next = RaftInstant.distantFuture
        if pendingWrites.contains(where: { $0.deadline <= now }) {
            var kept = Deque<PendingWrite<Types>>()
            kept.reserveCapacity(pendingWrites.count)
            while let pending = pendingWrites.popFirst() {
                if pending.deadline <= now {
                    resolve(pending.responder, .failure(.outcomeUnknown(pending.expiryOutcome)))
                } else {
                    kept.append(pending)
                    next = min(next, pending.deadline)
                }
            }
            pendingWrites = kept
        } else {
            for index in pendingWrites.indices { next = min(next, pendingWrites[index].deadline) }
        }
        func sweep<Value>(_ calls: inout [RequestToken: PendingCall<Result<Value, Failure>>], expired failure: Failure) {
            for (token, pending) in calls {
                if pending.deadline <= now {
                    calls.removeValue(forKey: token)
                    pending.continuation.resume(returning: .failure(failure))
                } else {
                    next = min(next, pending.deadline)
                }
            }
        }
        sweep(&pendingReads, expired: .timeout)
        sweep(&pendingMembershipChanges, expired: .outcomeUnknown(.deadlineExceeded))
        sweep(&pendingTransfers, expired: .timeout)
        for (id, forgetAt) in earlyCancels {
            if forgetAt <= now { earlyCancels.removeValue(forKey: id) } else { next = min(next, forgetAt) }
        }
        earliestCallDeadline = next
    }

    /// The node stopped leading: its uncommitted writes may still commit under the next
    /// leader, whose first messages normally tell this node within an election timeout (the
    /// entry is then applied, or replaced). Writes not decided by then answer
    /// ``UnknownOutcome/leadershipLost`` instead of waiting for their full deadline.
    @inlinable func orphanPendingWrites() {
        guard !pendingWrites.isEmpty else { return }
        let grace = turnNow.adding(saturating: config.engine.electionTimeoutMax)
        for index in pendingWrites.indices where !pendingWrites[index].orphaned {
            pendingWrites[index].orphaned = true
            pendingWrites[index].deadline = min(pendingWrites[index].deadline, grace)
        }
        if grace < earliestCallDeadline { earliestCallDeadline = grace }
    }
}
