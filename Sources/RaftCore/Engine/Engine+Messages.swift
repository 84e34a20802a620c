import DequeModule

extension RaftEngine {
    /// Handles a message from `sender`. Messages that cannot be honoured get a defined answer
    /// (a rejection carrying this node's vote) or are ignored; none can break safety.
    @inlinable public mutating func receive(_ message: RaftMessage<T>, from sender: NodeID) {
        guard sender != id else {
            emitEvent(.rejectedMessage(from: sender, reason: "message from itself"))
            return
        }
        switch message {
        case .appendEntries(let request): handleAppendEntries(request, from: sender)
        case .appendEntriesResponse(let response): handleAppendEntriesResponse(response, from: sender)
        case .vote(let request): handleVoteRequest(request, from: sender)
        case .voteResponse(let response): handleVoteResponse(response, from: sender)
        case .installSnapshot(let request): handleInstallSnapshot(request, from: sender)
        case .installSnapshotResponse(let response): handleInstallSnapshotResponse(response, from: sender)
        case .timeoutNow(let request): handleTimeoutNow(request, from: sender)
        }
    }

    /// Sends `message` once log I/O `io` is durable (at once if it already is).
    @inlinable mutating func send(_ message: RaftMessage<T>, to target: NodeID, after dependency: IOID?) {
        if let dependency, dependency > io.flushed {
            heldMessages.append((io: dependency, to: target, message: message))
        } else {
            output.append(.send(to: target, message))
        }
    }

    /// The I/O a reply must wait for so that the vote it reflects is durable.
    @inlinable var voteDurabilityDependency: IOID? {
        lastVoteIO > io.flushed ? lastVoteIO : nil
    }
}
