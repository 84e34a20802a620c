import DequeModule

/// What a leader knows about one follower or learner, and how it replicates to it.
struct Progress: Sendable {
    enum Mode: Sendable, Equatable {
        /// Looking for the match point: one append at a time.
        case probe
        /// The match point is known: appends stream without waiting, within the in-flight limits.
        case replicate
        /// The follower needs entries that are purged: a snapshot is on its way.
        case snapshot(rpcID: UInt64)
    }

    /// One request sent and not yet answered.
    struct Sent: Sendable {
        var rpcID: UInt64
        var sentAt: RaftInstant
        var round: UInt64
        /// One past the last index this request carried; 0 for a heartbeat or snapshot.
        var endIndex: LogIndex
        var bytes: Int
    }

    /// The highest entry known durable on the peer and equal to the leader's.
    var matched: LogID?
    /// The next index to send.
    var nextIndex: LogIndex
    var mode: Mode = .probe
    var sent: Deque<Sent> = []
    var inflightMessages: Int = 0
    var inflightBytes: Int = 0
    /// A storage read issued to refill this peer's pipeline.
    var pendingRead: ReadID?
    /// When the newest acknowledged request was sent (leader lease and check-quorum).
    var lastAckSentAt: RaftInstant?
    /// The highest read-confirmation round the peer acknowledged.
    var ackedRound: UInt64 = 0
    /// The highest commit point the peer can have learned from what was sent: a message
    /// commits no further than the last entry it asserts.
    var sentCommitIndex: LogIndex = 0
    /// Do not send before this instant (back-off after an unreachable peer).
    var retryAfter: RaftInstant = .zero
    var consecutiveFailures: Int = 0
    /// The transfer target was told to campaign.
    var timeoutNowSent = false

    init(nextIndex: LogIndex) {
        self.nextIndex = nextIndex
    }

    var matchedIndex: LogIndex { matched.indexOrZero }

    var hasProbeInFlight: Bool { mode == .probe && inflightMessages > 0 }

    /// Forgets every outstanding request: used when the pipeline restarts from a new point.
    mutating func clearInflight() {
        sent.removeAll(keepingCapacity: true)
        inflightMessages = 0
        inflightBytes = 0
    }

    /// Removes the record `rpcID` answers. An append's answer also settles every earlier
    /// request (a follower answers one leader's appends in order); a heartbeat's answer settles
    /// only heartbeats, because appends sent before it may still wait for the follower's disk
    /// while heartbeats are answered at once. An unknown (stale) id settles nothing.
    mutating func acknowledge(rpcID: UInt64) -> Sent? {
        guard let record = sent.first(where: { $0.rpcID == rpcID }) else { return nil }
        let settlesAppends = record.endIndex > 0
        var kept: Deque<Sent> = []
        for item in sent {
            if item.rpcID <= rpcID && (settlesAppends || item.endIndex == 0) {
                if item.endIndex > 0 {
                    inflightMessages -= 1
                    inflightBytes -= item.bytes
                }
            } else {
                kept.append(item)
            }
        }
        sent = kept
        return record
    }

    mutating func recordSent(_ record: Sent, maxHeartbeatRecords: Int) {
        if record.endIndex > 0 {
            inflightMessages += 1
            inflightBytes += record.bytes
        } else {
            var heartbeats = 0
            for item in sent where item.endIndex == 0 { heartbeats += 1 }
            if heartbeats >= maxHeartbeatRecords, let oldest = sent.firstIndex(where: { $0.endIndex == 0 }) {
                sent.remove(at: oldest)
            }
        }
        sent.append(record)
    }
}
