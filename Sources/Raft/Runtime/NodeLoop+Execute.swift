import CoreMetrics
import DequeModule
import Logging

extension NodeLoop {
    /// Takes the engine's commands and hands each to whoever executes it, following the rules
    /// documented on `EngineCommand`, until the engine has none left: work done inline
    /// (applies) may produce more.
    @inlinable nonisolated(nonsending) func executeEngineCommands() async {
        while isRunning {
            // The command and log-operation buffers go back and forth between the engine and
            // this loop instead of being allocated for every step.
            var commands = spareCommands
            spareCommands = []
            engine.takeCommands(into: &commands)
            guard !commands.isEmpty else {
                spareCommands = commands
                return
            }
            await execute(commands)
            commands.removeAll(keepingCapacity: true)
            spareCommands = commands
        }
    }

    /// Executes one step's commands in the order `CommandBatch` sorts them for the simulator:
    /// log I/O (writes, then the commit point, then reads), messages, snapshot transfers,
    /// state-machine work, then replies and events; each kind in engine order. Done as passes
    /// over the engine's buffer rather than through a `CommandBatch`, whose eight arrays cost
    /// allocations and copies in every step.
    @inlinable nonisolated(nonsending) func execute(_ commands: [EngineCommand<Types>]) async {
        var logOperations = spareLogOperations
        spareLogOperations = []
        defer {
            logOperations.removeAll(keepingCapacity: true)
            spareLogOperations = logOperations
        }
        var committed: LogID?
        var hasReads = false, hasMessages = false, hasSnapshotTransfers = false, hasStateMachineWork = false, hasReplies = false
        for index in commands.indices {
            switch commands[index] {
            case let .saveVote(vote, io):
                logOperations.append(.write(.saveVote(vote), io))
            case let .appendEntries(entries, io):
                instruments?.appendBatchSize.record(entries.count)
                logOperations.append(.write(.append(entries), io))
            case let .truncateLog(after, io):
                failWrites(after: after.indexOrZero)
                logOperations.append(.write(.truncate(after: after), io))
            case let .purgeLog(upTo, io):
                logOperations.append(.write(.purge(upTo: upTo), io))
            case .saveCommitted(let logID): committed = logID
            case .readEntries: hasReads = true
            case .send: hasMessages = true
            case .sendSnapshot: hasSnapshotTransfers = true
            case .apply, .buildSnapshot, .installSnapshot: hasStateMachineWork = true
            case .reply, .event: hasReplies = true
            }
        }
        if let committed { logOperations.append(.saveCommitted(committed)) }
        if hasReads {
            for index in commands.indices {
                if case let .readEntries(id, range) = commands[index] { logOperations.append(.read(id, range)) }
            }
        }
        if !logOperations.isEmpty {
            if logInline {
                // Completions (flushes, reads) arrive through the mailbox and join this turn.
                do {
                    try await logWriter.perform(logOperations)
                } catch {
                    return storageFailed(error)
                }
            } else {
                for operation in logOperations { logWriter.mailbox.push(operation) }
            }
        }
        if hasMessages {
            for index in commands.indices {
                guard case let .send(to, message) = commands[index] else { continue }
                if message.isResponse { answerIncoming(message, to: to) } else { link(to).send(message) }
            }
        }
        if hasSnapshotTransfers {
            for index in commands.indices {
                if case let .sendSnapshot(to, request) = commands[index] { startSnapshotTransfer(to: to, request: request) }
            }
        }
        if hasStateMachineWork {
            for index in commands.indices {
                let work: CommandBatch<Types>.StateMachineWork
                switch commands[index] {
                case .apply(let entries): work = .apply(entries)
                case .buildSnapshot: work = .buildSnapshot
                case .installSnapshot(let meta): work = .installSnapshot(meta)
                default: continue
                }
                await dispatch(work)
                guard isRunning else { return }
            }
        }
        guard hasReplies else { return }
        for index in commands.indices {
            switch commands[index] {
            // Answered after the metrics of this turn are published, so a caller that looks at
            // metrics right after its answer sees the state that produced it.
            case let .reply(token, reply): deferredReplies.append((token, reply))
            case .event(let event): record(event)
            default: break
            }
        }
    }

    @inlinable nonisolated(nonsending) func dispatch(_ work: CommandBatch<Types>.StateMachineWork) async {
        switch work {
        case .apply(let entries):
            instruments?.applyBatchSize.record(entries.count)
            // The writes of these entries go with them and are answered as soon as the state
            // machine returns. Entries handed to the state machine are committed, so nothing
            // can change their outcome meanwhile.
            var writes: [PendingWrite<Types>] = []
            if let last = entries.last?.index {
                // Indexes read in place: `pendingWrites.first` would copy each write.
                while !pendingWrites.isEmpty, pendingWrites[pendingWrites.startIndex].logID.index <= last {
                    writes.append(pendingWrites.removeFirst())
                }
            }
            if applyInline && workerBacklog == 0 {
                await applyOnLoop(entries, writes: writes)
                return
            }
            // On the worker, resuming (possibly thousands of) callers does not hold up this
            // loop, and a caller waits for one task hop less than through the loop.
            if stateMachineWorker.mailbox.push(.apply(entries, writes: writes)) {
                workerBacklog += 1
            } else {
                // The worker stopped (a fatal state-machine error): stopping answers them.
                pendingWrites.insert(contentsOf: writes, at: pendingWrites.startIndex)
            }
        case .buildSnapshot:
            if stateMachineWorker.mailbox.push(.buildSnapshot) { workerBacklog += 1 }
        case .installSnapshot(let meta):
            // The engine installs only snapshots whose last chunk this loop received.
            guard let data = receivedSnapshots.removeValue(forKey: meta.snapshotID) else {
                preconditionFailure("snapshot \(meta.snapshotID) was not received")
            }
            // Others received meanwhile were ignored by the engine; their senders retry.
            receivedSnapshots.removeAll()
            // Writes whose entries the snapshot covers can no longer be matched to their entry.
            let covered = meta.lastLogID.indexOrZero
            while !pendingWrites.isEmpty, pendingWrites[pendingWrites.startIndex].logID.index <= covered {
                let pending = pendingWrites.removeFirst()
                resolve(pending.responder, .failure(.outcomeUnknown(.coveredBySnapshot)))
            }
            if stateMachineWorker.mailbox.push(.install(Snapshot(meta: meta, data: data))) { workerBacklog += 1 }
        }
    }

    /// Applies on this loop: the state machine said its apply never blocks.
    @inlinable nonisolated(nonsending) func applyOnLoop(_ entries: [Entry<Types>], writes: [PendingWrite<Types>]) async {
        let start: ContinuousClock.Instant? = instruments == nil ? nil : .now
        let responses: [Types.Response]
        do {
            responses = try await stateMachine.apply(entries)
        } catch {
            // Their entries are committed: the cluster applies them even though this node stops.
            for write in writes { write.responder.resolve(.failure(.outcomeUnknown(.storageFailed(error)))) }
            return storageFailed(error)
        }
        if let instruments, let start {
            instruments.applyLatency.recordNanoseconds(Int64(clamping: start.duration(to: .now).nanosecondsClamped))
        }
        PendingWrite.resolve(writes, applied: entries, responses: responses, instruments: instruments)
        if let last = entries.last { engine.applied(upTo: last.logID) }
    }

    /// This node's entries after `index` were replaced by another leader's: the writes that
    /// proposed them are answered now. Their outcome is unknown rather than failed: another
    /// node may still hold such an entry and commit it as a later leader (field lesson 23).
    @inlinable func failWrites(after index: LogIndex) {
        while let last = pendingWrites.last, last.logID.index > index {
            pendingWrites.removeLast()
            resolve(last.responder, .failure(.outcomeUnknown(.entryTruncated)))
        }
    }

    @inlinable func link(_ peer: NodeID) -> PeerLink<Network.Client> {
        if let existing = peers[peer] { return existing }
        let address = engine.effectiveMembership.membership.address(of: peer)
        let link = PeerLink(peer: peer, client: network.makeClient(for: peer, address: address), node: mailbox, config: config)
        peers[peer] = link
        workerTasks.append(Task { await link.run() })
        return link
    }

    @inlinable func answerIncoming(_ message: RaftMessage<Types>, to peer: NodeID) {
        switch message {
        case .appendEntriesResponse(let response):
            let key = IncomingKey(peer: peer, rpcID: message.rpcID, kind: .append)
            if case .append(let reply)? = pendingIncoming.removeValue(forKey: key)?.reply { reply(.success(response)) }
        case .voteResponse(let response):
            let key = IncomingKey(peer: peer, rpcID: message.rpcID, kind: .vote)
            if case .vote(let reply)? = pendingIncoming.removeValue(forKey: key)?.reply { reply(.success(response)) }
        case .installSnapshotResponse(let response):
            let key = IncomingKey(peer: peer, rpcID: message.rpcID, kind: .snapshot)
            pendingChunks.removeValue(forKey: key)?.continuation.resume(returning: .installed(response))
        default:
            break
        }
    }

    @inlinable func startSnapshotTransfer(to peer: NodeID, request: InstallSnapshotRequest<Types>) {
        snapshotSends[peer]?.cancel()
        let sender = SnapshotSender(
            peer: peer, client: link(peer).client, stateMachine: stateMachine, node: mailbox,
            chunkSize: config.snapshotChunkSize, chunkTimeout: config.snapshotChunkTimeout)
        snapshotSends[peer] = Task { await sender.send(request) }
        instruments?.snapshotsSent.increment()
    }

    @inlinable func answerDeferredReplies() {
        guard !deferredReplies.isEmpty else { return }
        let replies = deferredReplies
        deferredReplies.removeAll(keepingCapacity: true)
        for (token, reply) in replies { answer(token, reply) }
    }

    @inlinable func answer(_ token: RequestToken, _ reply: EngineReply) {
        switch reply {
        case .readIndex(let result):
            guard let pending = pendingReads.removeValue(forKey: token) else { return }
            pending.continuation.resume(returning: result.mapError { failure(from: $0) })
        case .membershipChange(let result):
            guard let pending = pendingMembershipChanges.removeValue(forKey: token) else { return }
            pending.continuation.resume(returning: result.mapError { failure(from: $0) })
        case .leaderTransfer(let result):
            guard let pending = pendingTransfers.removeValue(forKey: token) else { return }
            pending.continuation.resume(returning: result.mapError { failure(from: $0) })
        }
    }

    @inlinable func record(_ event: EngineEvent) {
        switch event {
        case let .becameCandidate(term, preVote):
            if !preVote { instruments?.elections.increment() }
            logger.debug("campaigning", metadata: ["term": "\(term)", "pre-vote": "\(preVote)"])
        case .becameLeader(let leaderID):
            instruments?.leaderChanges.increment()
            logger.info("became leader", metadata: ["leader-id": "\(leaderID)"])
        case let .becameFollower(leader, term):
            logger.info("following", metadata: ["leader": "\(leader.map(String.init) ?? "-")", "term": "\(term)"])
        case .steppedDown(let reason):
            logger.info("stepped down", metadata: ["reason": "\(reason)"])
            orphanPendingWrites()
        case let .followerLogReverted(peer, matched):
            logger.warning("follower log went backwards (lost storage?); replicating again from the start", metadata: ["peer": "\(peer)", "previously-matched": "\(matched.map(\.description) ?? "-")"])
        case let .rejectedMessage(from, reason):
            instruments?.rejectedMessages.increment()
            logger.debug("rejected message", metadata: ["from": "\(from)", "reason": "\(reason)"])
        case let .membershipCommitted(logID, config):
            // Once per cluster at info (the leader); every follower repeating it is noise.
            let level: Logger.Level = engine.isLeader ? .info : .debug
            logger.log(level: level, "membership committed", metadata: ["log-id": "\(logID)", "config": "\(config)"])
        case .snapshotNeeded(let peer):
            logger.info("sending snapshot", metadata: ["peer": "\(peer)"])
        }
        if engine.vote.term != lastTerm {
            lastTerm = engine.vote.term
            logger[metadataKey: "raft-term"] = "\(lastTerm)"
        }
    }

    /// Publishes the engine's state when it differs from what was last published. The fields
    /// are compared with the engine in place, so a turn that changed nothing observable builds
    /// no metrics, and the publisher is not asked to compare whole metrics under its lock.
    @inlinable func publishMetrics() {
        let changed = inspectEngine { engine in Self.refresh(&published, from: &engine, runningState: isRunning ? nil : runningState) }
        guard changed else { return }
        if let instruments, published.isLeader {
            let last = published.lastLogIndex
            for (peer, status) in published.replication {
                let recorder = lagRecorders[peer] ?? instruments.replicationLag(peer)
                lagRecorders[peer] = recorder
                recorder.record(Int64(clamping: last - min(last, status.matched.indexOrZero)))
            }
        }
        publisher.publish(published)
    }

    /// Brings `metrics` up to date with `engine`; returns whether anything changed. The running
    /// state is passed only once the node stopped: it carries a large error value, not worth
    /// copying and comparing every turn while it is `.running`.
    @inlinable static func refresh(_ metrics: inout RaftMetrics<Types>, from engine: inout RaftEngine<Types>, runningState: RunningState?) -> Bool {
        var changed = false
        func update<Value: Equatable>(_ field: inout Value, _ value: Value) {
            if field != value {
                field = value
                changed = true
            }
        }
        if let runningState { update(&metrics.runningState, runningState) }
        update(&metrics.state, engine.serverState)
        update(&metrics.currentTerm, engine.vote.term)
        update(&metrics.vote, engine.vote)
        update(&metrics.currentLeader, engine.currentLeader)
        update(&metrics.lastLogID, engine.lastLogID)
        update(&metrics.durableLogID, engine.durableLogID)
        update(&metrics.committed, engine.committed)
        update(&metrics.lastApplied, engine.applied)
        update(&metrics.snapshot, engine.snapshot?.lastLogID)
        update(&metrics.purged, engine.lastPurgedLogID)
        update(&metrics.votingSuspended, engine.votingSuspended)
        // A membership is identified by the entry that carried it (entries with the same log
        // id are the same entry), so comparing log ids spares hashing whole configurations
        // every turn. Only the pristine membership has no log id; it is compared in full.
        if metrics.membership.logID != engine.effectiveMembership.logID
            || (metrics.membership.logID == nil && metrics.membership != engine.effectiveMembership) {
            metrics.membership = engine.effectiveMembership
            changed = true
        }
        if metrics.committedMembership.logID != engine.committedMembership.logID
            || (metrics.committedMembership.logID == nil && metrics.committedMembership != engine.committedMembership) {
            metrics.committedMembership = engine.committedMembership
            changed = true
        }
        if !engine.replicationEquals(metrics.replication) {
            metrics.replication = engine.replication
            changed = true
        }
        return changed
    }
}

extension NodeLoop {
    /// Stores one chunk of a snapshot streamed by the leader. A chunk with offset 0 starts a
    /// transfer; any other chunk must continue the current one (field lesson 9); the last one
    /// hands the complete snapshot to the engine, whose answer completes the chunk's RPC.
    @inlinable func receiveSnapshotChunk(_ chunk: SnapshotChunk<Types>, from leader: NodeID, continuation: UnsafeContinuation<SnapshotChunkResponse, Never>) {
        guard chunk.vote.isAtLeast(engine.vote, mode: config.engine.leaderIDMode), chunk.vote.committed, chunk.vote.votedFor == leader else {
            return continuation.resume(returning: .rejected(vote: engine.vote))
        }
        if chunk.offset == 0 {
            snapshotReception = (chunk.meta.snapshotID, leader, [])
        }
        guard var reception = snapshotReception, reception.snapshotID == chunk.meta.snapshotID, reception.data.count == chunk.offset else {
            let expected = snapshotReception?.snapshotID == chunk.meta.snapshotID ? snapshotReception!.data.count : 0
            return continuation.resume(returning: .outOfOrder(expectedOffset: expected))
        }
        snapshotReception = nil
        reception.data.append(contentsOf: chunk.data)
        guard chunk.isLast else {
            snapshotReception = reception
            return continuation.resume(returning: .accepted(nextOffset: reception.data.count))
        }
        receivedSnapshots[chunk.meta.snapshotID] = reception.data
        let key = IncomingKey(peer: leader, rpcID: chunk.rpcID, kind: .snapshot)
        pendingChunks.removeValue(forKey: key)?.continuation.resume(returning: .outOfOrder(expectedOffset: 0))
        let deadline = clock.now + config.snapshotChunkTimeout
        pendingChunks[key] = (continuation, deadline)
        earliestIncomingDeadline = min(earliestIncomingDeadline ?? deadline, deadline)
        engine.receive(.installSnapshot(InstallSnapshotRequest(vote: chunk.vote, meta: chunk.meta, rpcID: chunk.rpcID)), from: leader)
    }
}
