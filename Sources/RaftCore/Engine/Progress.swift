import DequeModule

/// What a leader knows about one follower or learner, and how it replicates to it.
@usableFromInline struct Progress: Sendable {
    @usableFromInline enum Mode: Sendable, Equatable {
        /// Looking for the match point: one append at a time.
        case probe
        /// The match point is known: appends stream without waiting, within the in-flight limits.
        case replicate
        /// The follower needs entries that are purged: a snapshot is on its way.
        case snapshot(rpcID: UInt64)
    }

    /// One request sent and not yet answered.
    @usableFromInline struct Sent: Sendable {
        @usableFromInline var rpcID: UInt64
        @usableFromInline var sentAt: RaftInstant
        @usableFromInline var round: UInt64
        /// One past the last index this request carried; 0 for a heartbeat or snapshot.
        @usableFromInline var endIndex: LogIndex
        @usableFromInline var bytes: Int

        @inlinable init(rpcID: UInt64, sentAt: RaftInstant, round: UInt64, endIndex: LogIndex, bytes: Int) {
            self.rpcID = rpcID
            self.sentAt = sentAt
            self.round = round
            self.endIndex = endIndex
            self.bytes = bytes
        }
    }

    /// The highest entry known durable on the peer and equal to the leader's.
    @usableFromInline var matched: LogID?
    /// The next index to send.
    @usableFromInline var nextIndex: LogIndex
    @usableFromInline var mode: Mode = .probe
    @usableFromInline var sent: Deque<Sent> = []
    @usableFromInline var inflightMessages: Int = 0
    @usableFromInline var inflightBytes: Int = 0
    /// A storage read issued to refill this peer's pipeline.
    @usableFromInline var pendingRead: ReadID?
    /// When the newest acknowledged request was sent (leader lease and check-quorum).
    @usableFromInline var lastAckSentAt: RaftInstant?
    /// The highest read-confirmation round the peer acknowledged.
    @usableFromInline var ackedRound: UInt64 = 0
    /// The highest commit point the peer can have learned from what was sent: a message
    /// commits no further than the last entry it asserts.
    @usableFromInline var sentCommitIndex: LogIndex = 0
    /// Do not send before this instant (back-off after an unreachable peer).
    @usableFromInline var retryAfter: RaftInstant = .zero
    @usableFromInline var consecutiveFailures: Int = 0

    /// The transfer target was told to campaign.
    @usableFromInline var timeoutNowSent = false
    /// The peer said in its last answer that it may not vote (see ``RaftEngine/votingSuspended``).
    /// Such a peer lost the vote it had promised: it may acknowledge a leader it once voted
    /// against, so until it is re-admitted its acknowledgements count toward no quorum
    /// (commit, read index, lease, check-quorum), only toward replicating to it.
    @usableFromInline var votingSuspended = false

    @inlinable init(nextIndex: LogIndex) {
        self.nextIndex = nextIndex
    }

    @inlinable var matchedIndex: LogIndex { matched.indexOrZero }

    @inlinable var hasProbeInFlight: Bool { mode == .probe && inflightMessages > 0 }

    /// Forgets every outstanding request: used when the pipeline restarts from a new point.
    @inlinable mutating func clearInflight() {
        sent.removeAll(keepingCapacity: true)
        inflightMessages = 0
        inflightBytes = 0
    }

    /// Removes the record `rpcID` answers. An append's answer also settles every earlier
    /// request (a follower answers one leader's appends in order); a heartbeat's answer settles
    /// only heartbeats, because appends sent before it may still wait for the follower's disk
    /// while heartbeats are answered at once. An unknown (stale) id settles nothing.
    @inlinable mutating func acknowledge(rpcID: UInt64) -> Sent? {
        guard let position = sent.firstIndex(where: { $0.rpcID == rpcID }) else { return nil }
        let record = sent[position]
        if record.endIndex > 0 {
            // Requests are recorded in send order: everything up to this one is settled.
            for _ in 0...position { forget(sent.removeFirst()) }
        } else {
            var index = sent.startIndex
            while index < sent.endIndex && sent[index].rpcID <= rpcID {
                if sent[index].endIndex == 0 {
                    sent.remove(at: index)
                } else {
                    index += 1
                }
            }
        }
        return record
    }

    @inlinable mutating func forget(_ item: Sent) {
        if item.endIndex > 0 {
            inflightMessages -= 1
            inflightBytes -= item.bytes
        }
    }

    @inlinable mutating func recordSent(_ record: Sent, maxHeartbeatRecords: Int) {
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
