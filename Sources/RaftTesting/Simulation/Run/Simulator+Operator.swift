import RaftCore

/// The operator: membership changes, leadership transfers and snapshot/purge triggers during
/// the fault phase; re-admission of nodes that lost their data; and, once faults heal, the
/// liveness probe.
extension Simulator {
    /// The node that leads the greatest leadership, if any (a deposed leader may not know yet).
    func currentLeader() -> SimNode? {
        var best: SimNode?
        for node in nodes {
            guard let engine = node.engine, engine.isLeader, let id = engine.leaderID else { continue }
            if best == nil || best!.engine!.leaderID! < id { best = node }
        }
        return best
    }

    func handleReply(_ token: RequestToken, _ reply: EngineReply, on node: SimNode) {
        guard let use = tokenUses.removeValue(forKey: token) else {
            fail("engine contract", "node \(node.id) answered unknown token \(token)")
            return
        }
        switch (use, reply) {
        case let (.clientRead(client, attempt, key, _), .readIndex(result)):
            serveRead(client: client, attempt: attempt, key: key, result: result, on: node)
        case (.membershipChange, .membershipChange(let result)):
            if pendingChange?.token == token { pendingChange = nil }
            note("membership change \(result)")
        case (.leaderTransfer, .leaderTransfer(let result)):
            if pendingTransfer?.token == token { pendingTransfer = nil }
            note("leader transfer \(result)")
        default:
            fail("engine contract", "node \(node.id) answered token \(token) with \(reply)")
        }
    }

    private func newToken(_ use: TokenUse) -> RequestToken {
        let token = nextToken
        nextToken += 1
        tokenUses[token] = use
        return token
    }

    func operatorStep() -> String {
        guard phase != .done else { return "operator done" }
        schedule(.operatorStep, after: random.uint(in: 20_000_000...60_000_000))
        if let change = pendingChange, now > change.startedAt + 2_000_000_000 { pendingChange = nil }
        if let transfer = pendingTransfer, now > transfer.startedAt + 2_000_000_000 { pendingTransfer = nil }
        if phase == .healing, let done = checkRecovered() { return done }
        if commits.committedIndex == 0, let retry = reinitialize() { return retry }
        guard let leader = currentLeader() else { return "operator: no leader" }
        if let readmission = readmitStep(leader: leader) ?? promoteStep(leader: leader) { return readmission }
        guard phase == .faults else { return "operator waits" }
        return randomOperation(leader: leader)
    }

    /// Calls `initialize` on a node of the initial cluster (as an operator setting it up).
    func initialize(_ node: SimNode) {
        guard let membership = initialMembership else { return }
        input(node) { engine in
            do throws(InitializeError) {
                try engine.initialize(membership)
            } catch {
                if case .alreadyInitialized = error { return }
                self.fail("initialize", "node \(node.id): \(error)")
            }
        }
    }

    /// Before the cluster has committed anything, an initializing node whose first entry was
    /// lost (a disk error before its first sync) is initialized again, as an operator would.
    private func reinitialize() -> String? {
        let pristine = initializers.filter { node($0).engine.map { !$0.isInitialized } ?? false }
        guard !pristine.isEmpty, initializers.allSatisfy({ node($0).engine.map { !$0.isInitialized } ?? true }) else { return nil }
        for id in pristine { initialize(node(id)) }
        return "operator: initialize \(pristine) again"
    }

    // MARK: Re-admission

    /// Moves the first suspended node one step along: removed as a voter (kept as a
    /// learner), caught up, promoted back, the term pushed past anything it may have voted
    /// in, then allowed to vote.
    private func readmitStep(leader: SimNode) -> String? {
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
    private func promoteStep(leader: SimNode) -> String? {
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

    private func changeMembership(_ change: MembershipChange<SimTypes>, retain: Bool, expected: LogID?? = nil, on leader: SimNode, reason: String) -> String {
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

    // MARK: Fault-phase operations

    private func randomOperation(leader: SimNode) -> String {
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

    // MARK: Phases

    func endFaults() -> String {
        guard phase == .faults else { return "faults already ended" }
        phase = .healing
        rates.heal()
        network.healAll()
        network.lossProbability = 0
        network.duplicateProbability = 0
        network.reorderProbability = 0
        network.delayProbability = 0
        partitionActive = false
        for node in nodes {
            node.clock.setDrift(0, at: now)
            node.slowDisk = false
            if !node.isUp { restart(node, allowWipe: false) }
        }
        startProbe()
        return "faults end; network healed, clocks steady, every node up"
    }

    /// After healing: done once no node is suspended, the probe write was acknowledged and
    /// every voter of the configuration applied it.
    private func checkRecovered() -> String? {
        guard nodes.allSatisfy({ $0.engine?.votingSuspended == false }),
              let probe = probeClient, let probeLogID = clients[probe].probeAcknowledged,
              let leader = currentLeader() else { return nil }
        let config = leader.engine!.effectiveMembership.config
        guard !config.isJoint else { return nil }
        let lagging = config.voterIDs.sorted().filter { node($0).stateMachine.lastApplied.indexOrZero < probeLogID.index }
        guard lagging.isEmpty else { return nil }
        phase = .done
        stats.recoveryNanoseconds = now - faultEnd
        return "recovered: probe write \(probeLogID) applied on every voter of \(config)"
    }

    func livenessDeadlinePassed() -> String {
        guard phase != .done else { return "liveness deadline (already recovered)" }
        let suspended = nodes.filter { $0.engine?.votingSuspended == true }.map(\.id)
        let leader = currentLeader().map { "n\($0.id)" } ?? "none"
        let probe = probeClient.flatMap { clients[$0].probeAcknowledged }.map(\.description) ?? "not acknowledged"
        fail("liveness", "\(options.livenessBound) after faults healed: leader \(leader), probe write \(probe), still suspended \(suspended); " + nodes.map(\.summary).joined(separator: " "))
        return "liveness deadline"
    }
}
