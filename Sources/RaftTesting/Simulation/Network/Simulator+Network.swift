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
            envelope.requesterIncarnation = incarnation
        } else if expectsAnswer(message) {
            node.outstandingCalls.insert(call)
            schedule(.rpcTimeout(node: node.id, incarnation: node.incarnation, call: call), after: rpcTimeoutNanos)
        }
        if network.isBlocked(from: node.id, to: target) {
            stats.messagesDropped += 1
            return
        }
        let delays = network.deliveryDelays(using: &random)
        if delays.isEmpty { stats.messagesDropped += 1 }
        for delay in delays { schedule(.deliver(envelope), after: delay) }
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
        input(target) { $0.receive(envelope.message, from: envelope.from) }
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
