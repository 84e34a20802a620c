/// A node removed from the cluster while it was cut off does not learn of its removal: nobody
/// replicates to it any more, so it keeps its old membership, times out, and campaigns. Pre-vote
/// keeps it from raising anyone's term, but its requests still cost every member a round trip
/// per election timeout, forever. So a member that receives a vote request from a node it
/// considers removed answers "removed" (the transport carries that answer), and the removed
/// node holds back its campaigns.
///
/// Both halves are conservative, because a node can look removed to a peer that lags behind:
/// a new voter's pre-vote can reach a follower that has not yet received the entry adding it.
///
/// - The receiver answers "removed" (``answersRemoved(_:senderLastLogID:)``) only when its
///   committed *and* its effective membership both leave the sender out (neither voter nor
///   learner), and the sender's log is not ahead of its own. A new voter holds the entry that
///   added it, so its log is ahead of any follower that lacks that entry: such a follower never
///   calls it removed.
/// - The sender's reaction (``peerReportedRemoval(by:)``) is reversible: it stops campaigning
///   until it hears from a leader, its own effective membership changes, or a hold-off of ten
///   maximum election timeouts passes (then it asks again, at the cost of one pre-vote round).
///   A wrong "removed" can therefore delay a real member's campaign, never silence it for good.
extension RaftEngine {
    /// Whether a vote request from `sender`, whose log ends at `senderLastLogID`, should be
    /// answered "removed" by this node. See the rules above.
    @inlinable public func answersRemoved(_ sender: NodeID, senderLastLogID: LogID?) -> Bool {
        Self.answersRemoved(
            sender, senderLastLogID: senderLastLogID, committed: membership.committed, effective: membership.effective,
            receiverLastLogID: log.last)
    }

    /// The rule of ``answersRemoved(_:senderLastLogID:)`` applied to a node's published state
    /// (its committed and effective memberships and its last log id), for transports that see
    /// a node only through its metrics.
    @inlinable public static func answersRemoved(
        _ sender: NodeID, senderLastLogID: LogID?, committed: StoredMembership<T>, effective: StoredMembership<T>,
        receiverLastLogID: LogID?
    ) -> Bool {
        // A node that has never committed a membership knows no cluster to be removed from.
        guard committed.logID != nil else { return false }
        if committed.config.allNodeIDs.contains(sender) || effective.config.allNodeIDs.contains(sender) { return false }
        // A sender whose log is ahead may know a membership this node has not received yet.
        return !logIDLess(receiverLastLogID, senderLastLogID)
    }

    /// `peer` answered this node's vote request with "removed": it considers this node no
    /// longer a member. Unless this node leads, it stops campaigning until it hears from a
    /// leader, its effective membership changes, or the hold-off passes. A report from a node
    /// outside this node's effective membership is ignored.
    @inlinable public mutating func peerReportedRemoval(by peer: NodeID) {
        guard role != .leader, peer != id, membership.effective.config.allNodeIDs.contains(peer) else {
            emitEvent(.rejectedMessage(from: peer, reason: "removal notice ignored (leading, or from a non-member)"))
            return
        }
        removalNotice = RemovalNotice(
            reportedBy: peer, at: now, membershipLogID: membership.effective.logID, leaderContactBefore: lastLeaderContact)
        abandonCampaign()
    }

    /// Whether a removal notice currently holds this node's campaigns back.
    @inlinable public var isHeldBackByRemovalNotice: Bool {
        guard let notice = removalNotice else { return false }
        return notice.stillHolds(
            membershipLogID: membership.effective.logID, leaderContact: lastLeaderContact, now: now, holdOff: Self.removalHoldOff(config))
    }

    /// When the current removal notice stops holding campaigns back at the latest.
    @inlinable var removalNoticeExpiry: RaftInstant? {
        guard let notice = removalNotice else { return nil }
        return notice.at + Self.removalHoldOff(config)
    }

    /// How long a removal notice holds campaigns back when nothing else lifts it.
    @inlinable static func removalHoldOff(_ config: EngineConfig) -> Duration {
        config.electionTimeoutMax * 10
    }
}

/// A peer's report that this node is no longer a member, and what this node knew when it came.
@usableFromInline struct RemovalNotice: Sendable, Hashable {
    @usableFromInline var reportedBy: NodeID
    @usableFromInline var at: RaftInstant
    /// The effective membership when the notice came; a new one lifts the notice.
    @usableFromInline var membershipLogID: LogID?
    /// The last contact with a leader before the notice; a newer contact lifts it.
    @usableFromInline var leaderContactBefore: RaftInstant?

    @inlinable init(reportedBy: NodeID, at: RaftInstant, membershipLogID: LogID?, leaderContactBefore: RaftInstant?) {
        self.reportedBy = reportedBy
        self.at = at
        self.membershipLogID = membershipLogID
        self.leaderContactBefore = leaderContactBefore
    }

    @inlinable func stillHolds(membershipLogID current: LogID?, leaderContact: RaftInstant?, now: RaftInstant, holdOff: Duration) -> Bool {
        guard current == membershipLogID, leaderContact == leaderContactBefore else { return false }
        return now < at + holdOff
    }
}
