/// Whether a node is running, and if not, why.
public enum RunningState: Sendable, Hashable, Codable {
    /// Running: taking requests.
    case running
    /// Stopped by `shutdown()`.
    case stopped
    /// Stopped by a fatal storage error.
    case fatal(StorageError)
}

/// A snapshot of one node's state, published after every loop turn that changed it.
public struct RaftMetrics<Types: RaftTypeConfig>: Sendable, Equatable, Codable {
    /// This node's id.
    public var id: NodeID
    /// Whether the node runs, stopped, or stopped on a fatal error.
    public var runningState: RunningState
    /// The node's role: leader, candidate, follower or learner.
    public var state: ServerState
    /// The term of the node's vote.
    public var currentTerm: Term
    /// The node's current vote.
    public var vote: Vote
    /// The leader this node follows (itself when leading), nil when unknown.
    public var currentLeader: NodeID?
    /// The id of the last entry in the log.
    public var lastLogID: LogID?
    /// The longest prefix of the log durable on this node.
    public var durableLogID: LogID?
    /// The last entry known committed.
    public var committed: LogID?
    /// The last entry the state machine applied.
    public var lastApplied: LogID?
    /// The last log id covered by the newest snapshot.
    public var snapshot: LogID?
    /// The last entry removed from the log by compaction.
    public var purged: LogID?
    /// The membership in effect (the newest in the log, committed or not).
    public var membership: StoredMembership<Types>
    /// The newest membership known committed.
    public var committedMembership: StoredMembership<Types>
    /// Per-peer replication (leader only).
    public var replication: [NodeID: ReplicationStatus]
    /// True when the node lost acknowledged state and may not vote until re-admitted.
    public var votingSuspended: Bool

    @inlinable init(id: NodeID, runningState: RunningState, state: ServerState, currentTerm: Term, vote: Vote, currentLeader: NodeID? = nil, lastLogID: LogID? = nil, durableLogID: LogID? = nil, committed: LogID? = nil, lastApplied: LogID? = nil, snapshot: LogID? = nil, purged: LogID? = nil, membership: StoredMembership<Types>, committedMembership: StoredMembership<Types>, replication: [NodeID: ReplicationStatus], votingSuspended: Bool) {
        self.id = id
        self.runningState = runningState
        self.state = state
        self.currentTerm = currentTerm
        self.vote = vote
        self.currentLeader = currentLeader
        self.lastLogID = lastLogID
        self.durableLogID = durableLogID
        self.committed = committed
        self.lastApplied = lastApplied
        self.snapshot = snapshot
        self.purged = purged
        self.membership = membership
        self.committedMembership = committedMembership
        self.replication = replication
        self.votingSuspended = votingSuspended
    }

    /// The index of the last log entry, 0 for an empty log.
    @inlinable public var lastLogIndex: LogIndex { lastLogID.indexOrZero }
    /// The index of the last applied entry, 0 before any.
    @inlinable public var appliedIndex: LogIndex { lastApplied.indexOrZero }
    /// Whether this node leads.
    @inlinable public var isLeader: Bool { state == .leader }

    @inlinable public static func == (lhs: RaftMetrics, rhs: RaftMetrics) -> Bool {
        lhs.id == rhs.id && lhs.runningState == rhs.runningState && lhs.state == rhs.state && lhs.vote == rhs.vote
            && lhs.currentLeader == rhs.currentLeader && lhs.lastLogID == rhs.lastLogID && lhs.durableLogID == rhs.durableLogID
            && lhs.committed == rhs.committed && lhs.lastApplied == rhs.lastApplied && lhs.snapshot == rhs.snapshot
            && lhs.purged == rhs.purged && lhs.membership == rhs.membership && lhs.committedMembership == rhs.committedMembership
            && lhs.replication == rhs.replication && lhs.votingSuspended == rhs.votingSuspended && lhs.currentTerm == rhs.currentTerm
    }
}

/// A condition on metrics for ``RaftNode/wait(until:timeout:)``.
public struct MetricsCondition<Types: RaftTypeConfig>: Sendable {
    /// What the condition waits for, for messages.
    public let description: String
    /// Whether the metrics meet the condition.
    public let isSatisfied: @Sendable (RaftMetrics<Types>) -> Bool

    /// A condition with a description and a predicate.
    @inlinable public init(_ description: String, _ isSatisfied: @escaping @Sendable (RaftMetrics<Types>) -> Bool) {
        self.description = description
        self.isSatisfied = isSatisfied
    }

    /// The node is in `state`.
    @inlinable public static func state(_ state: ServerState) -> Self { Self("state == \(state)") { $0.state == state } }
    /// Some node is known as leader (any, when `id` is nil).
    @inlinable public static func leader(_ id: NodeID? = nil) -> Self {
        Self("leader == \(id.map(String.init) ?? "any")") { metrics in id == nil ? metrics.currentLeader != nil : metrics.currentLeader == id }
    }
    /// The state machine applied at least `index`.
    @inlinable public static func appliedIndex(atLeast index: LogIndex) -> Self { Self("applied >= \(index)") { $0.appliedIndex >= index } }
    /// The node knows at least `index` committed.
    @inlinable public static func committedIndex(atLeast index: LogIndex) -> Self { Self("committed >= \(index)") { $0.committed.indexOrZero >= index } }
    /// The log holds at least `index` entries.
    @inlinable public static func lastLogIndex(atLeast index: LogIndex) -> Self { Self("last log >= \(index)") { $0.lastLogIndex >= index } }
    /// The effective membership is uniform with exactly `voters`.
    @inlinable public static func voters(_ voters: Set<NodeID>) -> Self {
        Self("voters == \(voters.sorted())") { !$0.membership.config.isJoint && $0.membership.config.voterIDs == voters }
    }
    /// The effective membership has exactly `learners`.
    @inlinable public static func learners(_ learners: Set<NodeID>) -> Self { Self("learners == \(learners.sorted())") { $0.membership.config.learners == learners } }
    /// A snapshot covers at least `index`.
    @inlinable public static func snapshot(atLeast index: LogIndex) -> Self { Self("snapshot >= \(index)") { $0.snapshot.indexOrZero >= index } }
    /// The log is purged up to at least `index`.
    @inlinable public static func purged(atLeast index: LogIndex) -> Self { Self("purged >= \(index)") { $0.purged.indexOrZero >= index } }
    /// The node stopped (shut down or failed).
    @inlinable public static var stopped: Self { Self("stopped") { $0.runningState != .running } }
}
