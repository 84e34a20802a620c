import RaftCore

/// The fault atlas (after TigerBeetle's): storage faults that lose acknowledged state are
/// spread so that every configuration that may still decide anything keeps a majority of
/// voters with intact disks. Otherwise the cluster legitimately could not repair.
extension Simulator {
    /// Every configuration that may still matter: the one in force at the commit point and
    /// any appended after it anywhere (they may yet commit), plus those nodes act on now.
    func relevantConfigs() -> [MembershipConfig] {
        var configs: [MembershipConfig] = []
        let floor = commits.configInForce?.logID.index ?? 0
        for (logID, config) in logMatching.memberships where logID.index >= floor { configs.append(config) }
        for node in nodes {
            guard let engine = node.engine else { continue }
            configs.append(engine.effectiveMembership.config)
            configs.append(engine.committedMembership.config)
        }
        return configs
    }

    /// Whether `config` keeps a strict majority of intact voters in every voter set, when the
    /// nodes in `extra` are damaged too.
    func keepsIntactMajority(_ config: MembershipConfig, extra: [NodeID] = []) -> Bool {
        for set in config.voterSets {
            let members = set.members.sorted()
            let intact = members.filter { !damaged[Int($0)] && !extra.contains($0) }.count
            if intact * 2 <= members.count { return false }
        }
        return true
    }

    func atlasAllowsDamage(to id: NodeID) -> Bool {
        guard !damaged[Int(id)] else { return true }
        return relevantConfigs().allSatisfy { keepsIntactMajority($0, extra: [id]) }
    }

    /// Marks a node's disk damaged (a corrupted acknowledged entry or vote).
    func markDamaged(_ id: NodeID) {
        damaged[Int(id)] = true
    }

    /// A disk is damaged while the node is suspended or a bit flip on it is still latent:
    /// re-admission repairs what the node lost, not a corruption it has not found yet.
    func recomputeDamage(_ node: SimNode) {
        damaged[Int(node.id)] = node.disk.durable.votingSuspended || node.disk.durable.hasLatentCorruption
    }
}
