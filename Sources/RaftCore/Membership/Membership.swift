/// A membership configuration together with the addresses of its nodes. Replicated in the log
/// as an entry payload and stored in snapshots.
public struct Membership<T: RaftTypeConfig>: Sendable, Codable {
    /// Who votes and who learns.
    public var config: MembershipConfig
    /// How to reach each node.
    public var addresses: [NodeID: T.NodeAddress]

    /// A membership with explicit configuration and addresses.
    @inlinable public init(config: MembershipConfig, addresses: [NodeID: T.NodeAddress] = [:]) {
        self.config = config
        self.addresses = addresses
    }

    /// A uniform majority membership of `voters` (with addresses) and optional learners.
    @inlinable public init(voters: [NodeID: T.NodeAddress], learners: [NodeID: T.NodeAddress] = [:]) {
        self.config = MembershipConfig(voters: Set(voters.keys), learners: Set(learners.keys))
        self.addresses = voters.merging(learners) { first, _ in first }
    }

    /// The address of node `id`, if known.
    @inlinable public func address(of id: NodeID) -> T.NodeAddress? { addresses[id] }

    /// Drops addresses of nodes that are no longer in the configuration.
    @inlinable func prunedAddresses() -> Membership {
        let ids = config.allNodeIDs
        return Membership(config: config, addresses: addresses.filter { ids.contains($0.key) })
    }
}

extension Membership: Equatable {
    @inlinable public static func == (lhs: Membership, rhs: Membership) -> Bool {
        lhs.config == rhs.config && lhs.addresses == rhs.addresses
    }
}

/// A membership and the id of the log entry that carried it (nil for the empty membership of a
/// pristine node).
public struct StoredMembership<T: RaftTypeConfig>: Sendable, Codable, Equatable {
    /// The entry that carried the membership; nil for a pristine node's empty one.
    public var logID: LogID?
    /// The membership itself.
    public var membership: Membership<T>

    /// A membership and the entry that carried it.
    @inlinable public init(logID: LogID?, membership: Membership<T>) {
        self.logID = logID
        self.membership = membership
    }

    /// The membership of a node that was never initialized: no voters, no learners.
    @inlinable public static var empty: StoredMembership {
        StoredMembership(logID: nil, membership: Membership(config: MembershipConfig(voterSets: [], learners: [])))
    }

    /// The configuration of ``membership``.
    @inlinable public var config: MembershipConfig { membership.config }
}
