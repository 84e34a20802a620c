import DequeModule

/// The node's current role. Learner is not a role of its own: a follower that is not a voter
/// of the effective membership campaigns only when a candidate needs its newer log
/// (Engine+LearnerElection).
public enum ServerState: String, Hashable, Sendable, Codable {
    /// Follows a leader (or waits for one).
    case follower
    /// Campaigns for leadership.
    case candidate
    /// Leads.
    case leader
    /// Replicates the log but does not vote.
    case learner
}

@usableFromInline enum Role: Sendable, Equatable {
    case follower
    case preCandidate
    case candidate
    case leader
}

/// An election (or pre-election) in progress.
@usableFromInline struct Campaign: Sendable {
    @usableFromInline var term: Term
    @usableFromInline var isPreVote: Bool
    @usableFromInline var isLeadershipTransfer: Bool
    @usableFromInline var granted: Set<NodeID> = []
    /// The I/O saving this node's vote for itself; the node counts itself once it is durable.
    @usableFromInline var selfVoteIO: IOID?

    @inlinable init(term: Term, isPreVote: Bool, isLeadershipTransfer: Bool, granted: Set<NodeID> = [], selfVoteIO: IOID? = nil) {
        self.term = term
        self.isPreVote = isPreVote
        self.isLeadershipTransfer = isLeadershipTransfer
        self.granted = granted
        self.selfVoteIO = selfVoteIO
    }
}

/// A linearizable read waiting for a quorum confirmation, then for apply.
@usableFromInline struct PendingRead: Sendable {
    @usableFromInline var token: RequestToken
    @usableFromInline var readLogID: LogID?
    @usableFromInline var round: UInt64

    @inlinable init(token: RequestToken, readLogID: LogID? = nil, round: UInt64) {
        self.token = token
        self.readLogID = readLogID
        self.round = round
    }
}

/// A leadership transfer in progress.
@usableFromInline struct LeaderTransfer: Sendable {
    @usableFromInline var target: NodeID
    @usableFromInline var token: RequestToken?
    @usableFromInline var deadline: RaftInstant

    @inlinable init(target: NodeID, token: RequestToken? = nil, deadline: RaftInstant) {
        self.target = target
        self.token = token
        self.deadline = deadline
    }
}

/// A membership change in progress on this leader.
@usableFromInline struct MembershipChangeInFlight<T: RaftTypeConfig>: Sendable {
    @usableFromInline var token: RequestToken?
    /// The uniform configuration the change ends in.
    @usableFromInline var target: Membership<T>

    @inlinable init(token: RequestToken? = nil, target: Membership<T>) {
        self.token = token
        self.target = target
    }
}

/// Everything only a leader keeps.
@usableFromInline struct LeaderState<T: RaftTypeConfig>: Sendable {
    @usableFromInline var leaderID: LeaderID
    @usableFromInline var progress: [NodeID: Progress] = [:]
    /// The blank entry this leader appended when elected; reads wait for it to commit.
    @usableFromInline var firstLogID: LogID
    @usableFromInline var heartbeatDeadline: RaftInstant
    /// A heartbeat goes to every peer in the next step.
    @usableFromInline var heartbeatDue = false
    @usableFromInline var electedAt: RaftInstant
    /// Peers in id order, so that message order does not depend on hashing.
    @usableFromInline var peerOrder: [NodeID] = []
    /// Read-confirmation rounds: a read waits for a quorum to acknowledge a message of its round.
    @usableFromInline var currentRound: UInt64 = 0
    @usableFromInline var roundNeedsBroadcast = false
    @usableFromInline var readsAwaitingQuorum: Deque<PendingRead> = []
    @usableFromInline var transfer: LeaderTransfer?
    @usableFromInline var membershipChange: MembershipChangeInFlight<T>?
    /// The final configuration removing this leader committed: it hands over and steps down.
    @usableFromInline var removedFromMembership = false
    /// This node was elected while not a voter of its effective membership (a learner holding
    /// the newest log, Engine+LearnerElection; or a voter of the committed joint configuration
    /// whose appended final one drops it): it takes no writes and hands over to a voter once
    /// its first entry commits.
    @usableFromInline var leadsAsNonVoter = false
    /// The check-quorum deadline last computed, and under which membership (see
    /// `RaftEngine.checkQuorumDeadlineFloor`).
    @usableFromInline var checkQuorumFloor: (membership: LogID?, deadline: RaftInstant)?

    @inlinable init(leaderID: LeaderID, firstLogID: LogID, heartbeatDeadline: RaftInstant, electedAt: RaftInstant) {
        self.leaderID = leaderID
        self.firstLogID = firstLogID
        self.heartbeatDeadline = heartbeatDeadline
        self.electedAt = electedAt
    }

    /// Moves `peer`'s progress out to be changed, leaving an empty placeholder until it is put
    /// back with `progress[peer] = changed`. A plain copy would share the `sent` buffer with
    /// the dictionary, so the first change would duplicate it: an allocation and a copy for
    /// every message sent or acknowledged. Nothing may read `progress[peer]` in between.
    @inlinable mutating func takeProgress(of peer: NodeID) -> Progress? {
        guard let position = progress.index(forKey: peer) else { return nil }
        var taken = Progress(nextIndex: 0)
        swap(&taken, &progress.values[position])
        return taken
    }
}

/// Where the log's I/O stands: what was issued, what is durable.
@usableFromInline struct LogIOTracker: Sendable {
    @usableFromInline struct Pending: Sendable {
        @usableFromInline var io: IOID
        /// The last log id right after this I/O, clamped by later truncations.
        @usableFromInline var lastLogID: LogID?

        @inlinable init(io: IOID, lastLogID: LogID? = nil) {
            self.io = io
            self.lastLogID = lastLogID
        }
    }

    @usableFromInline var lastIssued: IOID = 0
    @usableFromInline var flushed: IOID = 0
    @usableFromInline var pending: Deque<Pending> = []
    /// The longest prefix of the current log known to be durable.
    @usableFromInline var durableLogID: LogID?

    @inlinable mutating func issue(lastLogIDAfter: LogID?) -> IOID {
        lastIssued += 1
        pending.append(Pending(io: lastIssued, lastLogID: lastLogIDAfter))
        return lastIssued
    }

    /// Extends the pending record of `io` (entries merged into an I/O not yet handed out).
    @inlinable mutating func extend(io: IOID, lastLogIDAfter: LogID?) {
        precondition(pending.last?.io == io, "only the newest I/O can be extended")
        pending[pending.count - 1].lastLogID = lastLogIDAfter
    }

    /// Entries after `index` were removed from the log: nothing beyond it can be durable.
    @inlinable mutating func clamp(to logID: LogID?) {
        let index = logID.indexOrZero
        if durableLogID.indexOrZero > index { durableLogID = logID }
        for position in pending.indices where pending[position].lastLogID.indexOrZero > index {
            pending[position].lastLogID = logID
        }
    }
}
