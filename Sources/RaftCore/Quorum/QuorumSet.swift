/// A rule that says which sets of voters may elect a leader and which may commit an entry.
///
/// Every protocol decision that counts nodes (granting an election, committing an index,
/// confirming leadership for a read, keeping a lease) goes through this protocol, so majority,
/// joint and hierarchical/flexible quorums behave the same everywhere. Learners are never part
/// of a quorum set, so they never count (field lesson 10).
///
/// Safety requires that every election quorum intersects every commit quorum.
public protocol QuorumSet: Sendable {
    /// All voters this rule counts.
    var voterIDs: Set<NodeID> { get }
    /// Whether the nodes for which `granted` is true may elect a leader.
    func isElectionQuorum(_ granted: (NodeID) -> Bool) -> Bool
    /// Whether the nodes for which `acked` is true may commit (or confirm leadership).
    func isCommitQuorum(_ acked: (NodeID) -> Bool) -> Bool
    /// The greatest `v` such that a commit quorum has `value(node) >= v`; used for the commit
    /// index (value = matched index) and for the leader lease (value = last acknowledged time).
    func quorumValue(_ value: (NodeID) -> UInt64) -> UInt64
}

/// The `rank`-th largest (1-based) of `values`, 0 if there are fewer.
@inlinable func nthLargest(_ values: inout [UInt64], rank: Int) -> UInt64 {
    guard rank >= 1, rank <= values.count else { return 0 }
    values.sort(by: >)
    return values[rank - 1]
}
