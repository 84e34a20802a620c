/// How the members of one voter set form quorums.
public enum QuorumRule: Hashable, Codable, Sendable {
    /// More than half of the members.
    case majority
    /// Flexible Paxos quorums: any `electionQuorumSize` members may elect, any
    /// `commitQuorumSize` may commit. Their sum must exceed the member count so that
    /// every election quorum meets every commit quorum.
    case flexible(electionQuorumSize: Int, commitQuorumSize: Int)
    /// Hierarchical quorums: the members are split into disjoint groups (racks, zones); a
    /// quorum is a majority of groups, each counted when a majority of its members agree.
    case hierarchical(groups: [Set<NodeID>])
}

/// One set of voters and the rule that forms its quorums.
public struct VoterSet: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The voters.
    public var members: Set<NodeID>
    /// How the voters form quorums.
    public var rule: QuorumRule

    /// A voter set; validate it with ``validationError``.
    @inlinable public init(_ members: Set<NodeID>, rule: QuorumRule = .majority) {
        self.members = members
        self.rule = rule
    }

    /// A hierarchical voter set over `groups`.
    @inlinable public static func hierarchical(_ groups: [Set<NodeID>]) -> VoterSet {
        VoterSet(groups.reduce(into: Set<NodeID>()) { $0.formUnion($1) }, rule: .hierarchical(groups: groups))
    }

    /// Why this set cannot form quorums, or nil when it can.
    @inlinable public var validationError: String? {
        if members.isEmpty { return "a voter set needs at least one member" }
        switch rule {
        case .majority:
            return nil
        case let .flexible(election, commit):
            if election < 1 || commit < 1 { return "flexible quorum sizes must be at least 1" }
            if election > members.count || commit > members.count { return "flexible quorum size exceeds the member count" }
            if election + commit <= members.count { return "flexible quorums must intersect: election + commit sizes must exceed the member count" }
            return nil
        case let .hierarchical(groups):
            if groups.isEmpty || groups.contains(where: \.isEmpty) { return "hierarchical groups must be non-empty" }
            var seen = Set<NodeID>()
            for group in groups {
                if !seen.isDisjoint(with: group) { return "hierarchical groups must be disjoint" }
                seen.formUnion(group)
            }
            if seen != members { return "hierarchical groups must cover exactly the members" }
            return nil
        }
    }

    /// The same rule applied to different members; hierarchical groups and flexible sizes are
    /// kept only when they still fit, otherwise the set falls back to a plain majority.
    @inlinable func withMembers(_ newMembers: Set<NodeID>) -> VoterSet {
        var candidate = VoterSet(newMembers, rule: rule)
        if case let .hierarchical(groups) = rule {
            let trimmed = groups.map { $0.intersection(newMembers) }.filter { !$0.isEmpty }
            candidate.rule = .hierarchical(groups: trimmed)
        }
        return candidate.validationError == nil ? candidate : VoterSet(newMembers)
    }

    @inlinable public var description: String {
        let ids = members.sorted().map(String.init).joined(separator: ",")
        switch rule {
        case .majority: return "{\(ids)}"
        case let .flexible(e, c): return "{\(ids)|e\(e)c\(c)}"
        case let .hierarchical(groups):
            return "{" + groups.map { "(" + $0.sorted().map(String.init).joined(separator: ",") + ")" }.joined() + "}"
        }
    }
}

extension VoterSet: QuorumSet {
    /// The voters.
    @inlinable public var voterIDs: Set<NodeID> { members }

    /// Whether the granting members may elect a leader under ``rule``.
    @inlinable public func isElectionQuorum(_ granted: (NodeID) -> Bool) -> Bool {
        switch rule {
        case .majority: return Self.count(members, granted) * 2 > members.count
        case let .flexible(election, _): return Self.count(members, granted) >= election
        case let .hierarchical(groups): return Self.majorityOfGroups(groups, granted)
        }
    }

    /// Whether the acknowledging members may commit under ``rule``.
    @inlinable public func isCommitQuorum(_ acked: (NodeID) -> Bool) -> Bool {
        switch rule {
        case .majority: return Self.count(members, acked) * 2 > members.count
        case let .flexible(_, commit): return Self.count(members, acked) >= commit
        case let .hierarchical(groups): return Self.majorityOfGroups(groups, acked)
        }
    }

    /// The greatest value a commit quorum reached under ``rule``.
    @inlinable public func quorumValue(_ value: (NodeID) -> UInt64) -> UInt64 {
        switch rule {
        case .majority:
            return Self.rankedValue(of: members, rank: members.count / 2 + 1, value)
        case let .flexible(_, commit):
            return Self.rankedValue(of: members, rank: commit, value)
        case let .hierarchical(groups):
            var groupValues = groups.map { group -> UInt64 in
                var values = group.map(value)
                return nthLargest(&values, rank: group.count / 2 + 1)
            }
            return nthLargest(&groupValues, rank: groups.count / 2 + 1)
        }
    }

    /// `nthLargest` of the members' values, sorted in a stack buffer: the leader computes a
    /// quorum value for every acknowledgement and twice per loop turn, and an array per call
    /// was a heap allocation each time.
    @inlinable static func rankedValue(of members: Set<NodeID>, rank: Int, _ value: (NodeID) -> UInt64) -> UInt64 {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: members.count) { buffer in
            var count = 0
            for member in members {
                buffer.initializeElement(at: count, to: value(member))
                count += 1
            }
            var values = UnsafeMutableBufferPointer(rebasing: buffer[..<count])
            values.sort(by: >)
            guard rank >= 1, rank <= count else { return 0 }
            return values[rank - 1]
        }
    }

    @inlinable static func count(_ members: Set<NodeID>, _ predicate: (NodeID) -> Bool) -> Int {
        var count = 0
        for id in members where predicate(id) { count += 1 }
        return count
    }

    @inlinable static func majorityOfGroups(_ groups: [Set<NodeID>], _ predicate: (NodeID) -> Bool) -> Bool {
        var groupsAgreeing = 0
        for group in groups where count(group, predicate) * 2 > group.count { groupsAgreeing += 1 }
        return groupsAgreeing * 2 > groups.count
    }
}
