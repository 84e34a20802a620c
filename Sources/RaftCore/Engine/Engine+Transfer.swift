import DequeModule

extension RaftEngine {
    /// Hands leadership to `target` (leader only): proposals are refused meanwhile, the target
    /// is brought up to date, then told to campaign at once. The answer comes as a
    /// ``EngineReply/leaderTransfer(_:)`` reply; after `transferTimeout` this node gives up and
    /// accepts writes again.
    @inlinable public mutating func transferLeadership(to target: NodeID, token: RequestToken?) throws(LeaderTransferError) {
        guard role == .leader, let state = leader else { throw .forwardToLeader(forwardTarget) }
        if target == id {
            if let token { output.append(.reply(token, .leaderTransfer(.success(id)))) }
            return
        }
        guard membership.effective.config.isVoter(target) else { throw .targetNotVoter(target) }
        if state.progress[target]?.votingSuspended == true { throw .targetVotingSuspended(target) }
        if let transfer = state.transfer { throw .transferInProgress(to: transfer.target) }
        leader!.transfer = LeaderTransfer(target: target, token: token, deadline: now + config.transferTimeout)
        leader!.progress[target]!.timeoutNowSent = false
    }

    /// The target of the transfer in progress reported that it may not vote: it would never
    /// campaign, so the transfer fails now rather than at its deadline.
    @inlinable mutating func refuseTransfer(toSuspended peer: NodeID) {
        guard let transfer = leader?.transfer, transfer.target == peer else { return }
        leader!.transfer = nil
        if let token = transfer.token { output.append(.reply(token, .leaderTransfer(.failure(.targetVotingSuspended(peer))))) }
    }

    @inlinable mutating func sendTimeoutNowIfCaughtUp(_ target: NodeID) {
        guard let progress = leader?.progress[target], !progress.timeoutNowSent, progress.matched == log.last else { return }
        leader!.progress[target]!.timeoutNowSent = true
        output.append(.send(to: target, .timeoutNow(TimeoutNowRequest(vote: vote, lastLogID: log.last, rpcID: nextRPC()))))
    }

    /// A former leader learned who leads now: answer the transfer it started.
    @inlinable mutating func settleTransfer(newLeader: NodeID?) {
        guard let transfer = transferAwaitingOutcome else { return }
        if let newLeader, newLeader == transfer.target {
            transferAwaitingOutcome = nil
            if let token = transfer.token { output.append(.reply(token, .leaderTransfer(.success(newLeader)))) }
        } else if newLeader != nil || now >= transfer.deadline {
            transferAwaitingOutcome = nil
            let failure: LeaderTransferError = newLeader == nil ? .timedOut : .leadershipLost(ForwardToLeader(leaderID: newLeader))
            if let token = transfer.token { output.append(.reply(token, .leaderTransfer(.failure(failure)))) }
        }
    }
}
