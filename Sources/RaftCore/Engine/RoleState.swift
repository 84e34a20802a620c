import DequeModule

/// The node's current role. Learner is not a role of its own: a follower that is not a voter
/// of the effective membership never campaigns.
public enum ServerState: String, Hashable, Sendable, Codable {
    case follower, candidate, leader, learner
}

enum Role: Sendable, Equatable {
    case follower
    case preCandidate
    case candidate
    case leader
}

/// An election (or pre-election) in progress.
struct Campaign: Sendable {
    var term: Term
    var isPreVote: Bool
    var isLeadershipTransfer: Bool
    var granted: Set<NodeID> = []
    /// The I/O saving this node's vote for itself; the node counts itself once it is durable.
    var selfVoteIO: IOID?
}

/// A linearizable read waiting for a quorum confirmation, then for apply.
struct PendingRead: Sendable {
    var token: RequestToken
    var readLogID: LogID?
    var round: UInt64
}

/// A leadership transfer in progress.
struct LeaderTransfer: Sendable {
    var target: NodeID
    var token: RequestToken?
    var deadline: RaftInstant
}

/// A membership change in progress on this leader.
struct MembershipChangeInFlight<T: RaftTypeConfig>: Sendable {
    var token: RequestToken?
    /// The uniform configuration the change ends in.
    var target: Membership<T>
}

/// Everything only a leader keeps.
struct LeaderState<T: RaftTypeConfig>: Sendable {
    var leaderID: LeaderID
    var progress: [NodeID: Progress] = [:]
    /// The blank entry this leader appended when elected; reads wait for it to commit.
    var firstLogID: LogID
    var heartbeatDeadline: RaftInstant
    /// A heartbeat goes to every peer in the next step.
    var heartbeatDue = false
    var electedAt: RaftInstant
    /// Peers in id order, so that message order does not depend on hashing.
    var peerOrder: [NodeID] = []
    /// Read-confirmation rounds: a read waits for a quorum to acknowledge a message of its round.
    var currentRound: UInt64 = 0
    var roundNeedsBroadcast = false
    var readsAwaitingQuorum: Deque<PendingRead> = []
    var transfer: LeaderTransfer?
    var membershipChange: MembershipChangeInFlight<T>?
    /// The final configuration removing this leader committed: it hands over and steps down.
    var removedFromMembership = false
    /// The check-quorum deadline last computed, and under which membership (see
    /// `RaftEngine.checkQuorumDeadlineFloor`).
    var checkQuorumFloor: (membership: LogID?, deadline: RaftInstant)?

    init(leaderID: LeaderID, firstLogID: LogID, heartbeatDeadline: RaftInstant, electedAt: RaftInstant) {
        self.leaderID = leaderID
        self.firstLogID = firstLogID
        self.heartbeatDeadline = heartbeatDeadline
        self.electedAt = electedAt
    }

    /// Moves `peer`'s progress out to be changed, leaving an empty placeholder until it is put
    /// back with `progress[peer] = changed`. A plain copy would share the `sent` buffer with
    /// the dictionary, so the first change would duplicate it: an allocation and a copy for
    /// every message sent or acknowledged. Nothing may read `progress[peer]` in between.
    mutating func takeProgress(of peer: NodeID) -> Progress? {
        guard let position = progress.index(forKey: peer) else { return nil }
        var taken = Progress(nextIndex: 0)
        swap(&taken, &progress.values[position])
        return taken
    }
}

/// Where the log's I/O stands: what was issued, what is durable.
struct LogIOTracker: Sendable {
    struct Pending: Sendable {
        var io: IOID
        /// The last log id right after this I/O, clamped by later truncations.
        var lastLogID: LogID?
    }

    var lastIssued: IOID = 0
    var flushed: IOID = 0
    var pending: Deque<Pending> = []
    /// The longest prefix of the current log known to be durable.
    var durableLogID: LogID?

    mutating func issue(lastLogIDAfter: LogID?) -> IOID {
        lastIssued += 1
        pending.append(Pending(io: lastIssued, lastLogID: lastLogIDAfter))
        return lastIssued
    }

    /// Extends the pending record of `io` (entries merged into an I/O not yet handed out).
    mutating func extend(io: IOID, lastLogIDAfter: LogID?) {
        precondition(pending.last?.io == io, "only the newest I/O can be extended")
        pending[pending.count - 1].lastLogID = lastLogIDAfter
    }

    /// Entries after `index` were removed from the log: nothing beyond it can be durable.
    mutating func clamp(to logID: LogID?) {
        let index = logID.indexOrZero
        if durableLogID.indexOrZero > index { durableLogID = logID }
        for position in pending.indices where pending[position].lastLogID.indexOrZero > index {
            pending[position].lastLogID = logID
        }
    }
}
