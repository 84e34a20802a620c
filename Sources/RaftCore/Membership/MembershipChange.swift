/// One requested change to the cluster's membership. A change of voters is carried out by joint
/// consensus (old → old+new → new); a change of learners alone takes one entry.
public enum MembershipChange<T: RaftTypeConfig>: Sendable, Codable {
    /// Makes existing nodes (usually caught-up learners) voters.
    case addVoterIDs(Set<NodeID>)
    /// Adds voters with their addresses (they may be new to the cluster).
    case addVoters([NodeID: T.NodeAddress])
    /// Removes voters; see `retainRemovedVoters` for what becomes of them.
    case removeVoters(Set<NodeID>)
    /// Replaces the whole voter set.
    case replaceVoters(Set<NodeID>)
    /// Adds learners. Existing voters named here stay voters.
    case addLearners([NodeID: T.NodeAddress])
    /// Removes learners entirely. Naming a voter is an error: remove or demote it first.
    case removeLearners(Set<NodeID>)
    /// Turns voters into learners.
    case demoteVoters(Set<NodeID>)
    /// Replaces the voter set together with its quorum rule (e.g. to move to hierarchical or
    /// flexible quorums). Every member must already be known.
    case replaceVoterSet(VoterSet)
}

/// Why a membership change was refused.
public enum MembershipChangeError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// Another change has not committed yet; retry after it has.
    case changeInProgress(pending: LogID?)
    /// The current membership is not the one the caller expected (conditional change).
    case membershipChanged(expected: LogID?, actual: LogID?)
    /// The change would leave no voter.
    case emptyVoterSet
    /// The change names a node that is not in the membership and has no address.
    case unknownNode(NodeID)
    /// `removeLearners` named a voter.
    case nodeIsVoter(NodeID)
    /// The resulting configuration cannot form quorums.
    case invalidConfig(String)

    @inlinable public var description: String {
        switch self {
        case .changeInProgress(let pending):
            return "another membership change (entry \(pending.map(\.description) ?? "none")) has not committed yet; retry once it has"
        case let .membershipChanged(expected, actual):
            return "the membership changed: expected the one of entry \(expected.map(\.description) ?? "none"), found entry \(actual.map(\.description) ?? "none")"
        case .emptyVoterSet: return "the change would leave no voter"
        case .unknownNode(let id): return "node \(id) is not a member and has no address"
        case .nodeIsVoter(let id): return "node \(id) is a voter; remove or demote it first"
        case .invalidConfig(let reason): return "invalid configuration: \(reason)"
        }
    }
}

extension Membership {
    /// The uniform membership `change` leads to from this (uniform) membership.
    @inlinable func applying(_ change: MembershipChange<T>, retainRemovedVoters: Bool) throws(MembershipChangeError) -> Membership {
        precondition(!config.isJoint, "changes start from a uniform configuration")
        var voters = config.voterSets[0]
        var learners = config.learners
        var addresses = self.addresses
        let known = config.allNodeIDs

        func demote(_ removed: Set<NodeID>) {
            voters = voters.withMembers(voters.members.subtracting(removed))
            if retainRemovedVoters { learners.formUnion(removed) }
        }

        switch change {
        case .addVoterIDs(let ids):
            for id in ids where !known.contains(id) { throw .unknownNode(id) }
            voters = voters.withMembers(voters.members.union(ids))
            learners.subtract(ids)
        case .addVoters(let newVoters):
            for (id, address) in newVoters { addresses[id] = address }
            voters = voters.withMembers(voters.members.union(newVoters.keys))
            learners.subtract(newVoters.keys)
        case .removeVoters(let ids):
            demote(ids.intersection(voters.members))
        case .replaceVoters(let ids):
            for id in ids where !known.contains(id) { throw .unknownNode(id) }
            let removed = voters.members.subtracting(ids)
            voters = voters.withMembers(ids)
            learners.subtract(ids)
            if retainRemovedVoters { learners.formUnion(removed) }
        case .addLearners(let newLearners):
            for (id, address) in newLearners {
                addresses[id] = address
                if !voters.members.contains(id) { learners.insert(id) }
            }
        case .removeLearners(let ids):
            for id in ids where voters.members.contains(id) { throw .nodeIsVoter(id) }
            learners.subtract(ids)
        case .replaceVoterSet(let newSet):
            for id in newSet.members where !known.contains(id) { throw .unknownNode(id) }
            let removed = voters.members.subtracting(newSet.members)
            voters = newSet
            learners.subtract(newSet.members)
            if retainRemovedVoters { learners.formUnion(removed) }
        case .demoteVoters(let ids):
            let demoted = ids.intersection(voters.members)
            voters = voters.withMembers(voters.members.subtracting(demoted))
            learners.formUnion(demoted)
        }
        if voters.members.isEmpty { throw .emptyVoterSet }
        let result = Membership(config: MembershipConfig(voterSets: [voters], learners: learners), addresses: addresses)
        if let error = result.config.validationError { throw .invalidConfig(error) }
        return result.prunedAddresses()
    }
}
