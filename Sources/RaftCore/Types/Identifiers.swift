/// Identifies one node of a Raft cluster. Chosen by the application; stable for the node's life.
///
/// Never reuse a node id for a node whose storage was wiped: the cluster would take the new,
/// empty node for the old one (see `RecoveredState.votingSuspended`).
public typealias NodeID = UInt64

/// A Raft term: a logical clock that increases with every election.
public typealias Term = UInt64

/// A position in the replicated log. The first entry has index 1; 0 means "before the log".
public typealias LogIndex = UInt64

/// The identity of one leadership: the term it was elected in and the node that won.
///
/// Ordered lexicographically by `(term, nodeID)`. In the default ``LeaderIDMode/advanced`` mode
/// this total order lets a later candidate of the same term supersede an earlier one (fewer
/// split votes); in ``LeaderIDMode/standard`` at most one node can lead a term.
public struct LeaderID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The term the leader was elected in.
    public var term: Term
    /// The node that won.
    public var nodeID: NodeID

    /// The leadership of `nodeID` in `term`.
    @inlinable public init(term: Term, nodeID: NodeID) {
        self.term = term
        self.nodeID = nodeID
    }

    /// The leader id of entries written by `initialize`, before any election: term 0 never has
    /// an elected leader, so no real leader can collide with it.
    public static let initial = LeaderID(term: 0, nodeID: 0)

    @inlinable public static func < (lhs: LeaderID, rhs: LeaderID) -> Bool {
        (lhs.term, lhs.nodeID) < (rhs.term, rhs.nodeID)
    }

    @inlinable public var description: String { "\(term)-\(nodeID)" }
}

/// How votes of one term compare.
public enum LeaderIDMode: String, Hashable, Codable, Sendable {
    /// openraft's `leader_id_adv`: leader ids are totally ordered by `(term, nodeID)`, so a node
    /// may move its vote to a higher node id within the same term. Several leaders can exist in
    /// one term, each with its own distinct `LeaderID`; safety is per leader id.
    case advanced
    /// Classic Raft: one vote per term, so at most one leader per term.
    case standard
}
