/// Joint consensus: a decision needs a quorum of every voter set (Raft §6).
///
/// A uniform configuration is a joint configuration with one set, so the engine always counts
/// through this type and a joint change can never be decided by the newest set alone (field
/// lesson 1).
public struct JointQuorum: QuorumSet, Hashable, Sendable {
    /// The voter sets, oldest first.
    public var sets: [VoterSet]

    /// A joint quorum over `sets` (at least one).
    @inlinable public init(_ sets: [VoterSet]) {
        precondition(!sets.isEmpty, "a joint quorum needs at least one voter set")
        self.sets = sets
    }

    /// Every voter of every set.
    @inlinable public var voterIDs: Set<NodeID> {
        sets.reduce(into: Set<NodeID>()) { $0.formUnion($1.members) }
    }

    /// An election quorum in every set.
    @inlinable public func isElectionQuorum(_ granted: (NodeID) -> Bool) -> Bool {
        sets.allSatisfy { $0.isElectionQuorum(granted) }
    }

    /// A commit quorum in every set.
    @inlinable public func isCommitQuorum(_ acked: (NodeID) -> Bool) -> Bool {
        sets.allSatisfy { $0.isCommitQuorum(acked) }
    }

    /// The smallest of the sets' quorum values.
    @inlinable public func quorumValue(_ value: (NodeID) -> UInt64) -> UInt64 {
        var result = UInt64.max
        for set in sets { result = min(result, set.quorumValue(value)) }
        return result
    }
}
