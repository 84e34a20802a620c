import RaftCore

/// The operator's work during the fault phase: membership changes, leadership transfers,
/// triggered elections, snapshots and purges.
extension Simulator {
    func randomOperation(leader: SimNode) -> String {
        let faults = options.faults
        if faults.contains(.membership), pendingChange == nil, random.chance(0.04) { return randomMembershipChange(leader: leader) }
        if faults.contains(.transfers), pendingTransfer == nil, random.chance(0.02) {
            let voters = leader.engine!.effectiveMembership.config.voterIDs.sorted().filter { $0 != leader.id }
            guard !voters.isEmpty else { return "operator: nobody to transfer to" }
            let target = random.pick(voters)
            let token = newToken(.leaderTransfer)
            pendingTransfer = (token, now)
            input(leader) { engine in
                do { try engine.transferLeadership(to: target, token: token) } catch { self.pendingTransfer = nil; self.tokenUses[token] = nil }
            }
            stats.transfers += 1
            return "operator: transfer leadership n\(leader.id) -> n\(target)"
        }
        if faults.contains(.transfers), random.chance(0.01) {
            let victim = random.pick(nodes)
            input(victim) { $0.triggerElection() }
            return "operator: trigger election on n\(victim.id)"
        }
        if faults.contains(.snapshots), random.chance(0.03) {
            let victim = random.pick(nodes)
            if random.chance(0.5) {
                input(victim) { $0.triggerSnapshot() }
                return "operator: trigger snapshot on n\(victim.id)"
            }
            let upTo = random.uint(in: 0...(victim.engine?.applied.indexOrZero ?? 0))
            input(victim) { $0.triggerPurge(upTo: upTo) }
            return "operator: purge n\(victim.id) up to \(upTo)"
        }
        if random.chance(0.01) {
            input(leader) { $0.triggerHeartbeat() }
            return "operator: trigger heartbeat"
        }
        return "operator idle"
    }

    private func randomMembershipChange(leader: SimNode) -> String {
        let membership = leader.engine!.effectiveMembership
        let config = membership.config
        guard !config.isJoint else { return "operator: joint config in progress" }
        let voters = config.voterIDs.sorted()
        let learners = config.learners.sorted()
        let outsiders = allNodeIDs.filter { !config.allNodeIDs.contains($0) }
        var choices: [(String, MembershipChange<SimTypes>, Set<NodeID>)] = []
        if let spare = outsiders.first(where: { _ in random.chance(0.5) }) ?? outsiders.first {
            choices.append(("add learner n\(spare)", .addLearners([spare: "node-\(spare)"]), Set(voters)))
            if voters.count < 5 { choices.append(("add voter n\(spare)", .addVoters([spare: "node-\(spare)"]), Set(voters + [spare]))) }
        }
        if let learner = learners.isEmpty ? nil : random.pick(learners) {
            if voters.count < 5 { choices.append(("promote n\(learner)", .addVoterIDs([learner]), Set(voters + [learner]))) }
            choices.append(("remove learner n\(learner)", .removeLearners([learner]), Set(voters)))
        }
        if voters.count > 1 {
            let victim = random.pick(voters)
            let remaining = Set(voters.filter { $0 != victim })
            choices.append(("remove voter n\(victim)", .removeVoters([victim]), remaining))
            choices.append(("demote n\(victim)", .demoteVoters([victim]), remaining))
        }
        var pool = config.allNodeIDs.sorted()
        random.shuffle(&pool)
        let replacement = Set(pool.prefix(random.int(in: 1...min(5, pool.count))))
        choices.append(("replace voters with \(replacement.sorted())", .replaceVoters(replacement), replacement))
        let (name, change, newVoters) = random.pick(choices)
        guard keepsIntactMajority(MembershipConfig(voters: newVoters)) else { return "operator: \(name) skipped (atlas)" }
        let term = leader.engine!.vote.term
        if let early = newVoters.sorted().first(where: { !config.isVoter($0) && !mayBecomeVoter($0, term: term) }) {
            return "operator: \(name) skipped (n\(early) may have voted in term \(resumeAfterTerm[Int(early)]))"
        }
        let expected: LogID?? = random.chance(0.3) ? .some(membership.logID) : nil
        return changeMembership(change, retain: random.chance(0.5), expected: expected, on: leader, reason: name)
    }
}
