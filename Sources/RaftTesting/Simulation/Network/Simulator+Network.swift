import RaftCore

/// The simulated RPC layer: requests carry a deadline after which the sender is told the
/// delivery failed; each answer is handed to the engine at most once, and only to the life
/// that asked.
extension Simulator {
    /// Requests that expect an answer (a leader's timeout-now is one-way).
    private func expectsAnswer(_ message: RaftMessage<SimTypes>) -> Bool {
        switch message {
        case .appendEntries, .vote, .installSnapshot: return true
        case .timeoutNow, .appendEntriesResponse, .voteResponse, .installSnapshotResponse: return false
        }
    }

    /// How long the RPC layer waits for an answer before reporting a delivery failure.
    var rpcTimeoutNanos: UInt64 { 200_000_000 }

    func send(from node: SimNode, to target: NodeID, message: RaftMessage<SimTypes>, snapshotValues: [Int?]?) {
        stats.messagesSent += 1
        guard Int(target) >= 1, Int(target) <= nodes.count else {
            fail("executor contract", "node \(node.id) sent to unknown node \(target)")
            return
        }
        var envelope = Envelope(from: node.id, to: target, message: message, requesterIncarnation: node.incarnation, snapshotValues: snapshotValues)
        let call = CallKey(peer: target, rpcID: message.rpcID)
        if message.isResponse {
            guard let incarnation = node.servedRequests.removeValue(forKey: call) else {
                stats.messagesDropped += 1
                return
            }
            if node.lowerVoteCalls.remove(call) != nil, let problem = RequestObedienceChecker.checkAnswer(message, to: target, from: node.id) {
                violation = violation ?? problem
            }
            envelope.requesterIncarnation = incarnation
        } else if expectsAnswer(message) {
            node.outstandingCalls.insert(call)
            schedule(.rpcTimeout(node: node.id, incarnation: node.incarnation, call: call), after: rpcTimeoutNanos)
        }
        if network.isBlocked(from: node.id, to: target) {
            stats.messagesDropped += 1
            return
        }
        var delays = network.deliveryDelays(to: target, using: &random)
        if !message.isResponse, random.chance(rates.staleMessage) {
            // Held back until terms have moved on; half the time the only copy.
            if random.chance(0.5) { delays.removeAll() }
            stats.staleMessages += 1
            schedule(.deliverStale(envelope, attempt: 1), after: random.uint(in: staleHoldNanos))
        } else if delays.isEmpty {
            stats.messagesDropped += 1
        }
        for delay in delays { schedule(.deliver(envelope), after: delay) }
    }

    /// How long a stale message is held before it is looked at again.
    private var staleHoldNanos: ClosedRange<UInt64> { 300_000_000...1_500_000_000 }

    /// A held message comes due: delivered once some node has moved past the term it was sent
    /// in (or after a third wait), dropped once faults have ended.
    func deliverStale(_ envelope: Envelope, attempt: Int) -> String? {
        guard phase == .faults else { return nil }
        let term = Self.term(of: envelope.message)
        guard clusterTermHighWater() > term || attempt >= 3 else {
            schedule(.deliverStale(envelope, attempt: attempt + 1), after: random.uint(in: staleHoldNanos))
            return nil
        }
        return "stale " + deliver(envelope)
    }

    /// The term of the vote a message carries.
    static func term(of message: RaftMessage<SimTypes>) -> Term {
        switch message {
        case .appendEntries(let m): return m.vote.term
        case .appendEntriesResponse(let m): return m.vote.term
        case .vote(let m): return m.vote.term
        case .voteResponse(let m): return m.vote.term
        case .installSnapshot(let m): return m.vote.term
        case .installSnapshotResponse(let m): return m.vote.term
        case .timeoutNow(let m): return m.vote.term
        }
    }

    func deliver(_ envelope: Envelope) -> String {
        let target = node(envelope.to)
        let description = "\(envelope.from)->\(envelope.to) \(envelope.message)"
        guard target.isUp, !network.isBlocked(from: envelope.from, to: envelope.to) else {
            stats.messagesDropped += 1
            return description + " (lost)"
        }
        let call = CallKey(peer: envelope.from, rpcID: envelope.message.rpcID)
        if envelope.message.isResponse {
            guard target.incarnation == envelope.requesterIncarnation, target.outstandingCalls.remove(call) != nil else {
                return description + " (no such call)"
            }
        } else {
            let known = target.peerIncarnations[envelope.from] ?? 0
            if envelope.requesterIncarnation < known { return description + " (from a previous life)" }
            if envelope.requesterIncarnation > known {
                target.peerIncarnations[envelope.from] = envelope.requesterIncarnation
                target.servedRequests = target.servedRequests.filter { $0.key.peer != envelope.from }
            }
            if expectsAnswer(envelope.message) { target.servedRequests[call] = envelope.requesterIncarnation }
            if let values = envelope.snapshotValues, case .installSnapshot(let request) = envelope.message {
                target.receivedSnapshots[request.meta.snapshotID] = values
            }
        }
        let mode = engineConfig.leaderIDMode
        if RequestObedienceChecker.isFromLowerVote(envelope.message, receiverVote: target.engine!.vote, mode: mode) {
            target.lowerVoteCalls.insert(call)
            // An install would start in this very step.
            if case .installSnapshot(let request) = envelope.message { lowerVoteSnapshot = request.meta.snapshotID }
        }
        defer { lowerVoteSnapshot = nil }
        input(target) { engine in
            let before = ReceiverState(engine)
            engine.receive(envelope.message, from: envelope.from)
            if let problem = RequestObedienceChecker.check(
                envelope.message, from: envelope.from, to: target.id, before: before, after: ReceiverState(engine), mode: mode) {
                violation = violation ?? problem
            }
        }
        return description
    }

    func rpcTimedOut(_ node: SimNode, incarnation: UInt64, call: CallKey) -> String? {
        guard node.incarnation == incarnation, node.isUp, node.outstandingCalls.remove(call) != nil else {
            return nil
        }
        input(node) { $0.deliveryFailed(to: call.peer, rpcID: call.rpcID) }
        return "n\(node.id) rpc #\(call.rpcID) to \(call.peer) failed"
    }
}
