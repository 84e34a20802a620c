/// Who votes and who only learns: one voter set (uniform) or two (joint), plus learners.
public struct MembershipConfig: Hashable, Codable, Sendable, CustomStringConvertible {
    /// One set for a uniform configuration; two during a joint-consensus change (old, new).
    public var voterSets: [VoterSet]
    /// Nodes that receive the log but never vote, campaign or count toward any quorum.
    ///
    /// In a joint configuration these are the learners of the configuration it ends in
    /// (``finalConfig``), so they may include voters of the outgoing set that the change demotes
    /// (`retainRemovedVoters`, `demoteVoters`): such a node keeps voting in the old set until the
    /// joint configuration is left. Recording them here keeps the change's outcome in the log,
    /// so a leader elected mid-change finishes it the same way.
    public var learners: Set<NodeID>

    /// A configuration of one (uniform) or two (joint) voter sets.
    @inlinable public init(voterSets: [VoterSet], learners: Set<NodeID> = []) {
        self.voterSets = voterSets
        self.learners = learners
    }

    /// A uniform majority configuration.
    @inlinable public init(voters: Set<NodeID>, learners: Set<NodeID> = []) {
        self.init(voterSets: [VoterSet(voters)], learners: learners)
    }

    /// Whether a joint-consensus change is in progress.
    @inlinable public var isJoint: Bool { voterSets.count > 1 }

    /// The quorum rule of this configuration: every voter set must agree.
    @inlinable public var quorum: JointQuorum { JointQuorum(voterSets) }

    /// Every voter of every set.
    @inlinable public var voterIDs: Set<NodeID> {
        voterSets.reduce(into: Set<NodeID>()) { $0.formUnion($1.members) }
    }

    /// Voters and learners.
    @inlinable public var allNodeIDs: Set<NodeID> { voterIDs.union(learners) }

    /// Whether `id` votes in some set.
    @inlinable public func isVoter(_ id: NodeID) -> Bool { voterSets.contains { $0.members.contains(id) } }

    /// The configuration this one ends in: the newest voter set alone.
    @inlinable public var finalConfig: MembershipConfig {
        MembershipConfig(voterSets: [voterSets[voterSets.count - 1]], learners: learners)
    }

    /// Why this configuration is unusable, or nil.
    @inlinable public var validationError: String? {
        if voterSets.isEmpty { return "a membership needs at least one voter set" }
        if voterSets.count > 2 { return "a membership has at most two voter sets (old and new)" }
        for set in voterSets {
            if let error = set.validationError { return error }
        }
        if !learners.isDisjoint(with: voterSets[voterSets.count - 1].members) { return "a node cannot be both voter and learner" }
        return nil
    }

    @inlinable public var description: String {
        let sets = voterSets.map(\.description).joined(separator: "+")
        if learners.isEmpty { return sets }
        return sets + " learners{" + learners.sorted().map(String.init).joined(separator: ",") + "}"
    }
}
