import RaftCore

/// Executing engine commands on a simulated node through `CommandBatch`, with the runtime's
/// rules: log writes in order and reported durable only after a sync; sends at once (the
/// engine holds back what needs durability); state-machine work in order; timers from
/// `nextDeadline`.
extension Simulator {
    /// Gives the engine the node's current time, then one input, then executes everything it
    /// produced. The runtime also reads the clock before each step.
    func input(_ node: SimNode, _ body: (inout SimEngine) -> Void) {
        guard node.engine != nil else { return }
        node.engine!.tick(now: RaftInstant(nanoseconds: node.clock.local(at: now)))
        body(&node.engine!)
        drain(node)
    }

    func drain(_ node: SimNode) {
        touched.append(node.id)
        var rounds = 0
        while node.engine != nil {
            let commands = node.engine!.takeCommands()
            if commands.isEmpty { break }
            execute(CommandBatch(commands), on: node)
            rounds += 1
            if rounds > 10_000 {
                fail("engine progress", "node \(node.id) keeps producing commands without input")
                return
            }
        }
        armTimer(node)
    }

    private func armTimer(_ node: SimNode) {
        guard let engine = node.engine else { return }
        guard let deadline = engine.nextDeadline else {
            node.timerAt = nil
            node.timerGeneration += 1
            return
        }
        // A deadline already due fires a moment later, never in the same instant, so a timer
        // the engine does not clear cannot spin the simulation.
        let at = max(node.clock.global(atLocal: deadline.nanoseconds, notBefore: now), now + 1_000)
        if node.timerAt == at { return }
        node.timerAt = at
        node.timerGeneration += 1
        schedule(.tick(node: node.id, incarnation: node.incarnation, generation: node.timerGeneration), after: at - now)
    }

    func tick(_ node: SimNode, incarnation: UInt64, generation: UInt64) -> String? {
        guard node.incarnation == incarnation, node.timerGeneration == generation, node.isUp else { return nil }
        node.timerAt = nil
        input(node) { _ in }
        return "n\(node.id) tick"
    }

    private func execute(_ batch: CommandBatch<SimTypes>, on node: SimNode) {
        for (write, io) in batch.logWrites {
            if random.chance(rates.writeError) {
                diskError(node, "EIO writing the log")
                return
            }
            let op: DiskOp
            switch write {
            case .saveVote(let vote):
                op = .saveVote(vote)
                if let problem = VoteMonotonicityChecker.check(node: node.id, saving: vote, over: node.disk.visible.vote, mode: engineConfig.leaderIDMode)
                    ?? SuspendedVotingChecker.check(node: node.id, saving: vote, suspended: node.engine?.votingSuspended ?? false) {
                    violation = violation ?? problem
                }
            case .append(let entries):
                op = .append(entries)
                var previous = node.disk.visible.lastLogID
                for entry in entries {
                    if let problem = logMatching.observeAppend(entry, after: previous, node: node.id) { violation = violation ?? problem }
                    previous = entry.logID
                }
            case .truncate(let after):
                op = .truncate(after: after)
                abandonPendingWrites(after: after.indexOrZero, on: node)
                let image = node.disk.visible
                if let problem = CommittedTruncationChecker.checkTruncate(
                    node: node.id, after: after, last: image.lastLogID, snapshotIndex: image.snapshot?.meta.lastLogID.indexOrZero ?? 0,
                    commits: commits, logID: { image.stored(at: $0)?.entry.logID }) {
                    violation = violation ?? problem
                }
            case .purge(let upTo):
                op = .purge(upTo: upTo)
                let snapshotIndex = node.disk.visible.snapshot?.meta.lastLogID.indexOrZero ?? 0
                if let problem = CommittedTruncationChecker.checkPurge(node: node.id, upTo: upTo, snapshotIndex: snapshotIndex) {
                    violation = violation ?? problem
                }
            }
            if let complaint = node.disk.write(op, io: io) { fail("log store contract", "node \(node.id): \(complaint)") }
        }
        if let committed = batch.committed { _ = node.disk.write(.saveCommitted(committed), io: nil) }
        if node.disk.hasUnsyncedWrites && !node.syncScheduled {
            node.syncScheduled = true
            schedule(.diskSync(node: node.id, incarnation: node.incarnation), after: diskLatency(node))
        }
        for (to, message) in batch.messages { send(from: node, to: to, message: message, snapshotValues: nil) }
        for (to, request) in batch.snapshotTransfers {
            guard let stored = node.disk.visible.snapshot, stored.meta.snapshotID == request.meta.snapshotID else {
                fail("executor contract", "node \(node.id) asked to send snapshot \(request.meta.snapshotID), which it does not store")
                continue
            }
            send(from: node, to: to, message: .installSnapshot(request), snapshotValues: stored.values)
        }
        for (readID, range) in batch.reads {
            schedule(.storageRead(node: node.id, incarnation: node.incarnation, readID: readID, range: range), after: diskLatency(node) / 2)
        }
        for work in batch.stateMachineWork {
            if case .installSnapshot(let meta) = work, meta.snapshotID == lowerVoteSnapshot {
                violation = violation ?? RequestObedienceChecker.checkInstall(snapshotID: meta.snapshotID, on: node.id)
            }
            node.stateMachineQueue.append(work)
        }
        startStateMachine(node)
        for (token, reply) in batch.replies { handleReply(token, reply, on: node) }
        for event in batch.events { observe(event, on: node) }
    }

    /// Entries after `index` are being deleted: writes proposed there cannot be answered
    /// here any more. Their outcome is unknown, not failed: a copy on another node may still
    /// be elected and committed.
    private func abandonPendingWrites(after index: LogIndex, on node: SimNode) {
        for pendingIndex in node.pendingWrites.keys.sorted() where pendingIndex > index {
            let pending = node.pendingWrites.removeValue(forKey: pendingIndex)!
            respond(to: pending.client, attempt: pending.attempt, .unknown)
        }
    }

    private func diskLatency(_ node: SimNode) -> UInt64 {
        let base = random.uint(in: 50_000...1_500_000)
        return node.slowDisk ? base * 40 : base
    }

    // MARK: Disk completions

    func sync(_ node: SimNode, incarnation: UInt64) -> String? {
        guard node.incarnation == incarnation, node.isUp else { return nil }
        node.syncScheduled = false
        if random.chance(rates.fsyncError) {
            diskError(node, "fsync failed")
            return "n\(node.id) fsync failed"
        }
        guard let io = node.disk.sync() else { return "n\(node.id) sync (commit point only)" }
        input(node) { $0.logIOFlushed(upTo: io) }
        return "n\(node.id) synced through io \(io)"
    }

    func storageRead(_ node: SimNode, incarnation: UInt64, readID: ReadID, range: Range<LogIndex>) -> String? {
        guard node.incarnation == incarnation, node.isUp else { return nil }
        if random.chance(rates.readError) {
            diskError(node, "EIO reading the log")
            return "n\(node.id) read \(range) failed"
        }
        var entries: [SimEntry] = []
        for index in range {
            guard let stored = node.disk.visible.stored(at: index) else { continue }
            guard stored.isIntact else {
                diskError(node, "checksum mismatch reading entry \(index)")
                return "n\(node.id) read \(range): corrupt entry \(index)"
            }
            entries.append(stored.entry)
        }
        input(node) { $0.entriesRead(id: readID, entries: entries) }
        return "n\(node.id) read \(range.lowerBound)..<\(range.upperBound) -> \(entries.count) entries"
    }

    // MARK: Engine output

    private func observe(_ event: EngineEvent, on node: SimNode) {
        switch event {
        case .becameLeader(let leaderID):
            stats.elections += 1
            note("n\(node.id) leads \(leaderID)")
        case .steppedDown(let reason):
            note("n\(node.id) stepped down: \(reason)")
        case .membershipCommitted(let id, let config):
            note("n\(node.id) membership \(config) committed at \(id)")
        case .followerLogReverted(let peer, let matched):
            note("n\(node.id): follower \(peer) reverted from \(describe(matched))")
        case .becameCandidate, .becameFollower, .rejectedMessage, .snapshotNeeded:
            break
        }
    }
}
