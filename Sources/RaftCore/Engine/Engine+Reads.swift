import DequeModule

/// How a leader proves a read is linearizable.
public enum ReadPolicy: String, Hashable, Sendable, Codable {
    /// Confirm leadership with a quorum round trip (read index).
    case readIndex
    /// Skip the round trip while the leader lease holds; assumes bounded clock drift.
    case lease
}

extension RaftEngine {
    /// Asks for a read index (leader only). The answer, a
    /// ``EngineReply/readIndex(_:)`` reply, comes once leadership is confirmed and the state
    /// machine has applied the read point, so the caller can read its state at once.
    ///
    /// The read point is the commit index, or this leader's first entry if that has not
    /// committed yet (so no separate round is needed to learn the commit index).
    @inlinable public mutating func requestRead(token: RequestToken, policy: ReadPolicy) {
        guard role == .leader, leader != nil else {
            output.append(.reply(token, .readIndex(.failure(.forwardToLeader(forwardTarget)))))
            return
        }
        let readLogID = maxLogID(committed, leader!.firstLogID)
        if (policy == .lease && isLeaseValid) || testingFaults.contains(.readIndexSkipsQuorumRound) {
            readsAwaitingApply.append(PendingRead(token: token, readLogID: readLogID, round: 0))
            serveReadsAwaitingApply()
            return
        }
        leader!.currentRound += 1
        leader!.roundNeedsBroadcast = true
        leader!.readsAwaitingQuorum.append(PendingRead(token: token, readLogID: readLogID, round: leader!.currentRound))
        checkReadQuorum()
    }

    /// Moves reads whose round a commit quorum acknowledged on to wait for apply.
    @inlinable mutating func checkReadQuorum() {
        guard let state = leader else { return }
        let quorum = membership.effective.config.quorum
        var confirmedAny = false
        while let first = leader!.readsAwaitingQuorum.first {
            let round = first.round
            let confirmed = quorum.isCommitQuorum { peer in
                peer == id || (state.progress[peer]?.votingSuspended != true && (state.progress[peer]?.ackedRound ?? 0) >= round)
            }
            guard confirmed else { break }
            readsAwaitingApply.append(leader!.readsAwaitingQuorum.removeFirst())
            confirmedAny = true
        }
        if confirmedAny { serveReadsAwaitingApply() }
    }

    /// Answers confirmed reads whose read point the state machine has applied.
    @inlinable mutating func serveReadsAwaitingApply() {
        guard !readsAwaitingApply.isEmpty else { return }
        let appliedIndex = applied.indexOrZero
        var remaining = readsAwaitingApply
        remaining.removeAll()
        while let read = readsAwaitingApply.popFirst() {
            if read.readLogID.indexOrZero <= appliedIndex {
                output.append(.reply(read.token, .readIndex(.success(read.readLogID))))
            } else {
                remaining.append(read)
            }
        }
        readsAwaitingApply = remaining
    }
}
