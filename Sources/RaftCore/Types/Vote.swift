/// What a node has promised: the leadership it voted for, and whether that leadership won.
///
/// This is openraft's vote model. `(term, votedFor)` is classic Raft's persistent state;
/// `committed` is true once the voted-for candidate has been granted a quorum and leads.
/// A node accepts a request only if the request's vote is at least its own (see
/// ``isAtLeast(_:mode:)``), so the vote never moves backwards.
public struct Vote: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The term this vote belongs to.
    public var term: Term
    /// The candidate or leader this node voted for in `term`; `nil` before voting in the term.
    public var votedFor: NodeID?
    /// True when `votedFor` was granted a quorum: the vote then names the term's leader.
    public var committed: Bool

    /// A vote; a committed vote must name its leader.
    @inlinable public init(term: Term, votedFor: NodeID?, committed: Bool = false) {
        precondition(votedFor != nil || !committed, "a committed vote names its leader")
        self.term = term
        self.votedFor = votedFor
        self.committed = committed
    }

    /// The vote of a node that never voted.
    public static let initial = Vote(term: 0, votedFor: nil)

    /// The leadership this vote is for, if it names a node.
    @inlinable public var leaderID: LeaderID? {
        votedFor.map { LeaderID(term: term, nodeID: $0) }
    }

    /// The committed vote of a leader.
    @inlinable public static func leader(_ id: LeaderID) -> Vote {
        Vote(term: id.term, votedFor: id.nodeID, committed: true)
    }

    /// Whether `self` is greater than or equal to `other` in the vote order of `mode`.
    ///
    /// Terms order first. Within one term, a vote for nobody is below every vote; in
    /// ``LeaderIDMode/advanced`` votes for different nodes order by node id, in
    /// ``LeaderIDMode/standard`` they are incomparable (one vote per term) except that a
    /// committed vote is above an uncommitted one: two different leaderships of one term
    /// cannot both be granted, so the term's elected leader wins over a candidate this node
    /// voted for, and its followers accept it. For the same leadership, committed is above
    /// uncommitted.
    @inlinable public func isAtLeast(_ other: Vote, mode: LeaderIDMode) -> Bool {
        if term != other.term { return term > other.term }
        switch (votedFor, other.votedFor) {
        case (_, nil):
            return true
        case (nil, _?):
            return false
        case let (mine?, theirs?):
            if mine == theirs { return committed || !other.committed }
            switch mode {
            case .advanced: return mine > theirs
            case .standard: return committed && !other.committed
            }
        }
    }

    @inlinable public var description: String {
        let who = votedFor.map(String.init) ?? "-"
        return "\(term)-\(who)\(committed ? ":C" : ":U")"
    }
}
