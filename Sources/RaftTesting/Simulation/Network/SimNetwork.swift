import RaftCore

/// A message on the simulated wire.
struct Envelope {
    var from: NodeID
    var to: NodeID
    var message: RaftMessage<SimTypes>
    /// For a request, the sender's incarnation; for a response, the incarnation of the node
    /// that made the request. A restarted node never mistakes an answer to its previous life
    /// for an answer to its own request (a real RPC layer ties answers to a connection).
    var requesterIncarnation: UInt64
    /// The snapshot's data, streamed ahead of an install-snapshot request.
    var snapshotValues: [Int?]?
}

/// Identifies one outstanding RPC of a node: the peer and the engine's rpc id.
struct CallKey: Hashable {
    var peer: NodeID
    var rpcID: UInt64
}

/// Link state and message-fault rates. Delays, loss and duplication are drawn per message.
struct SimNetwork {
    /// `blocked[from][to]`: messages on this directed link are dropped (a partition).
    var blocked: [[Bool]]
    /// `inboundDelay[to]`: added to the delay of every message to this node (a congested
    /// inbound queue).
    var inboundDelay: [UInt64]
    var lossProbability = 0.0
    var duplicateProbability = 0.0
    /// Chance that a message takes a long detour, overtaking or overtaken by others.
    var reorderProbability = 0.0
    /// Chance that a message is delayed by a latency spike.
    var delayProbability = 0.0
    var baseDelayNanos: ClosedRange<UInt64> = 200_000...2_000_000
    var spikeDelayNanos: ClosedRange<UInt64> = 20_000_000...150_000_000

    init(maxNodeID: Int) {
        blocked = Array(repeating: Array(repeating: false, count: maxNodeID + 1), count: maxNodeID + 1)
        inboundDelay = Array(repeating: 0, count: maxNodeID + 1)
    }

    func isBlocked(from: NodeID, to: NodeID) -> Bool { blocked[Int(from)][Int(to)] }

    mutating func healAll() {
        for row in blocked.indices { for column in blocked[row].indices { blocked[row][column] = false } }
        for node in inboundDelay.indices { inboundDelay[node] = 0 }
    }

    var hasPartition: Bool { blocked.contains { $0.contains(true) } }

    /// The delays at which copies of one message to `to` arrive: none if lost, two if duplicated.
    mutating func deliveryDelays(to: NodeID, using random: inout SimRandom) -> [UInt64] {
        if random.chance(lossProbability) { return [] }
        var delays = [delay(using: &random) + inboundDelay[Int(to)]]
        if random.chance(duplicateProbability) { delays.append(delay(using: &random) + inboundDelay[Int(to)]) }
        return delays
    }

    private func delay(using random: inout SimRandom) -> UInt64 {
        var nanos = random.uint(in: baseDelayNanos)
        if random.chance(reorderProbability) { nanos += random.uint(in: 1_000_000...30_000_000) }
        if random.chance(delayProbability) { nanos += random.uint(in: spikeDelayNanos) }
        return nanos
    }
}
