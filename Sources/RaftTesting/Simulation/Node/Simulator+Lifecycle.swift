import RaftCore

/// Crashes, disk-error stops and restarts from the simulated disk.
extension Simulator {
    /// The process dies: unsynced writes are resolved as a power loss would (a prefix
    /// survives, the last survivor possibly torn), everything volatile is lost, and clients
    /// waiting on it see their connection break.
    func crash(_ node: SimNode, reason: String) {
        guard node.isUp else { return }
        let pending = node.disk.pendingWrites
        let surviving = options.faults.contains(.lostWrites) ? random.int(in: 0...pending.count) : pending.count
        var torn: Int?
        if options.faults.contains(.tornWrites), surviving > 0, case .append(let entries) = pending[surviving - 1], random.chance(0.5) {
            torn = random.int(in: 0...(entries.count - 1))
            stats.tornWrites += 1
        }
        node.disk.crash(survivingWrites: surviving, tornEntries: torn)
        for index in node.pendingWrites.keys.sorted() {
            let write = node.pendingWrites[index]!
            respond(to: write.client, attempt: write.attempt, .unknown)
        }
        for token in tokenUses.keys.sorted() {
            if case .clientRead(let read) = tokenUses[token]!, read.node == node.id {
                tokenUses[token] = nil
                respond(to: read.client, attempt: read.attempt, .refused(hint: nil))
            }
        }
        node.resetVolatileState(keyCount: options.keyCount)
        stats.crashes += 1
        touched.append(node.id)
        note("n\(node.id) crashed (\(reason)); \(surviving)/\(pending.count) unsynced writes kept\(torn.map { ", last torn after \($0) entries" } ?? "")")
    }

    /// EIO or a failed fsync: the node stops (never retrying the fsync, never reporting a
    /// failed write durable) and must be restarted.
    func diskError(_ node: SimNode, _ reason: String) {
        stats.diskErrors += 1
        crash(node, reason: reason)
        scheduleRestart(node)
    }

    func scheduleRestart(_ node: SimNode) {
        guard !node.restartScheduled else { return }
        node.restartScheduled = true
        let downtime = phase == .faults ? random.uint(in: 5_000_000...1_500_000_000) : 1_000_000
        schedule(.restart(node: node.id), after: downtime)
    }

    func restartEvent(_ node: SimNode) -> String {
        node.restartScheduled = false
        guard !node.isUp else { return "n\(node.id) already up" }
        // Like every storage fault, wipes wait for the cluster to form: before its first
        // commit the membership may live on the initializing node alone.
        let wipe = phase == .faults && options.faults.contains(.wipes) && commits.committedIndex > 0
            && random.chance(0.25) && atlasAllowsDamage(to: node.id)
        restart(node, allowWipe: wipe)
        return "n\(node.id) restarted\(wipe ? " with a wiped data directory" : "")"
    }

    /// Starts the node's engine from what its disk recovers.
    func restart(_ node: SimNode, allowWipe wipe: Bool) {
        let termBefore = clusterTermHighWater()
        if wipe {
            node.disk.wipe()
            node.disk.setVotingSuspended(true)
            stats.wipes += 1
        }
        let recovery = Recovery(from: node.disk.durable, keyCount: options.keyCount)
        node.disk.replace(with: recovery.image)
        if recovery.tornEntriesDropped > 0 { note("n\(node.id) dropped a torn tail of \(recovery.tornEntriesDropped) entries") }
        if recovery.lostAcknowledgedState { note("n\(node.id) found corrupt acknowledged state") }
        if wipe || recovery.lostAcknowledgedState {
            // What the node lost may include any vote it gave up to now.
            resumeAfterTerm[Int(node.id)] = max(resumeAfterTerm[Int(node.id)], termBefore)
        }
        recomputeDamage(node)
        node.stateMachine = recovery.image.snapshot.map(KVStateMachine.init(snapshot:)) ?? KVStateMachine(keyCount: options.keyCount)
        var engine = SimEngine(
            id: node.id, config: engineConfig, recovered: recovery.state,
            now: RaftInstant(nanoseconds: node.clock.local(at: now)), randomSeed: random.next())
        engine.testingFaults = options.engineFaults
        node.engine = engine
        drain(node)
    }

    /// The highest term any node has promised anything in, live or on disk: a node that lost
    /// its vote may have voted in any term up to this.
    func clusterTermHighWater() -> Term {
        var term: Term = 0
        for node in nodes {
            term = max(term, node.disk.durable.vote.term, node.disk.visible.vote.term)
            if let engine = node.engine { term = max(term, engine.vote.term) }
        }
        return term
    }
}
