import RaftCore

/// Re-admission of nodes that lost acknowledged state (wiped, or a corrupted entry or vote):
/// remove as a voter, catch up, resume voting as a learner, promote back once the term
/// allows.
extension Simulator {
    /// Moves the first suspended node one step along: removed as a voter (kept as a
    /// learner), caught up, promoted back, the term pushed past anything it may have voted
    /// in, then allowed to vote.
    func readmitStep(leader: SimNode) -> String? {
        guard let suspended = nodes.first(where: { $0.engine?.votingSuspended == true }), pendingChange == nil else { return nil }
        let engine = leader.engine!
        let membership = engine.effectiveMembership
        guard !membership.config.isJoint, engine.committedMembership.logID == membership.logID else { return "operator waits for the membership to settle" }
        let id = suspended.id
        let config = membership.config
        if !suspended.readmission.started {
            suspended.readmission = SimNode.Readmission(started: true, asVoter: config.isVoter(id), removed: !config.isVoter(id))
        }
        if !suspended.readmission.removed {
            guard config.isVoter(id) else {
                suspended.readmission.removed = true
                return "operator: n\(id) is no longer a voter"
            }
            return changeMembership(.removeVoters([id]), retain: true, on: leader, reason: "re-admit n\(id): remove")
        }
        if !config.allNodeIDs.contains(id) {
            return changeMembership(.addLearners([id: "node-\(id)"]), retain: true, on: leader, reason: "re-admit n\(id): add as learner")
        }
        let caughtUp = commits.lastCommitted.map { suspended.disk.durable.holds($0) } ?? true
        guard caughtUp else { return "operator waits for n\(id) to catch up" }
        // A learner never votes, so it may vote again at once; `mayBecomeVoter` keeps it from
        // being promoted before the term passes anything it may have voted in.
        input(suspended) { $0.resumeVoting() }
        suspended.disk.setVotingSuspended(false)
        recomputeDamage(suspended)
        suspended.readmission = SimNode.Readmission(promotionPending: suspended.readmission.asVoter)
        stats.readmissions += 1
        return "operator: n\(id) re-admitted as a learner"
    }

    /// Promotes a re-admitted node back to voter once the term has passed anything it may
    /// have voted in before losing its data, raising the term by a transfer if needed.
    func promoteStep(leader: SimNode) -> String? {
        guard pendingChange == nil, let candidate = nodes.first(where: { $0.readmission.promotionPending && $0.isUp }) else { return nil }
        let engine = leader.engine!
        let config = engine.effectiveMembership.config
        let id = candidate.id
        guard !config.isJoint, engine.committedMembership.logID == engine.effectiveMembership.logID else { return "operator waits for the membership to settle" }
        guard config.learners.contains(id), config.voterIDs.count < 5 else {
            candidate.readmission.promotionPending = false
            return "operator: n\(id) stays as it is"
        }
        if mayBecomeVoter(id, term: engine.vote.term) {
            candidate.readmission.promotionPending = false
            return changeMembership(.addVoterIDs([id]), retain: true, on: leader, reason: "re-admit n\(id): promote")
        }
        guard pendingTransfer == nil else { return "operator waits for a transfer" }
        let targets = config.voterIDs.sorted().filter { $0 != leader.id && node($0).isUp }
        guard !targets.isEmpty else {
            candidate.readmission.promotionPending = false
            return "operator: n\(id) stays a learner (no other voter to raise the term)"
        }
        let target = random.pick(targets)
        let token = newToken(.leaderTransfer)
        pendingTransfer = (token, now)
        input(leader) { engine in
            do { try engine.transferLeadership(to: target, token: token) } catch { self.pendingTransfer = nil; self.tokenUses[token] = nil }
        }
        return "operator: raise the term past \(resumeAfterTerm[Int(id)]) for n\(id) by transferring to n\(target)"
    }

    /// A node that lost its vote may vote again only in terms after any it may have voted in.
    func mayBecomeVoter(_ id: NodeID, term: Term) -> Bool {
        !damaged[Int(id)] && term > resumeAfterTerm[Int(id)]
    }

    func changeMembership(_ change: MembershipChange<SimTypes>, retain: Bool, expected: LogID?? = nil, on leader: SimNode, reason: String) -> String {
        let token = newToken(.membershipChange)
        pendingChange = (token, now)
        var refusal: MembershipChangeFailure?
        input(leader) { engine in
            do throws(MembershipChangeFailure) {
                try engine.changeMembership(change, retainRemovedVoters: retain, expectedMembershipLogID: expected, token: token)
            } catch {
                refusal = error
            }
        }
        if let refusal {
            pendingChange = nil
            tokenUses[token] = nil
            return "operator: \(reason) refused (\(refusal))"
        }
        stats.membershipChanges += 1
        return "operator: \(reason)"
    }
}
