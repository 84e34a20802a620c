import CoreMetrics
import DequeModule
import Logging

/// The single loop that owns a node's engine: it takes every pending event, steps the engine,
/// and hands the resulting commands to the log writer, the state-machine worker and the peer
/// links. No protocol decision is made here.
@usableFromInline final class NodeLoop<Log: RaftLogStorage, Machine: RaftStateMachine, Network: RaftNetworkFactory>
where Machine.Types == Log.Types, Network.Types == Log.Types {
    // Generic over the concrete stores and network, not their existentials, so that calls into
    // them are direct (and specialized) rather than through witness tables into generic code.
    @usableFromInline typealias Types = Log.Types
    @usableFromInline typealias Failure = RaftError<Types.NodeAddress>
    @usableFromInline typealias WriteResult = Result<Types.Response, Failure>

    @usableFromInline typealias WriteResponder = PendingWriteResponder<Types>
    @usableFromInline typealias WriteManyBatch = PendingWriteBatch<Types>

    @usableFromInline var engine: RaftEngine<Types>
    @usableFromInline let config: RaftConfig
    @usableFromInline let mailbox: Mailbox<NodeEvent<Types>>
    @usableFromInline let publisher: MetricsPublisher<Types>
    /// The metrics last handed to `publisher`.
    @usableFromInline var published: RaftMetrics<Types>
    @usableFromInline let logWriter: LogWriter<Log>
    @usableFromInline let stateMachineWorker: StateMachineWorker<Machine>
    @usableFromInline let stateMachine: Machine
    @usableFromInline let network: Network
    @usableFromInline let clock: NodeClock
    @usableFromInline let timer: TimerService<Types>
    @usableFromInline var logger: Logger
    @usableFromInline let instruments: RaftInstruments?

    /// The log store never blocks, so this loop calls it itself instead of the writer's task.
    @usableFromInline let logInline: Bool
    /// The state machine's apply never blocks, so this loop applies while the worker is idle.
    @usableFromInline let applyInline: Bool
    /// Operations handed to the state-machine worker and not yet reported back. While any is,
    /// applies go through the worker too, so the state machine sees one call at a time, in order.
    @usableFromInline var workerBacklog = 0

    @usableFromInline var peers: [NodeID: PeerLink<Network.Client>] = [:]
    @usableFromInline var lagRecorders: [NodeID: Recorder] = [:]
    @usableFromInline var workerTasks: [Task<Void, Never>] = []
    @usableFromInline var snapshotSends: [NodeID: Task<Void, Never>] = [:]

    /// Emptied buffers kept for the next engine step (see `executeEngineCommands`).
    @usableFromInline var spareCommands: [EngineCommand<Types>] = []
    @usableFromInline var spareLogOperations: Deque<LogWriter<Log>.Operation> = []

    // Requests waiting for the engine.
    @usableFromInline var turnCommands: [Types.Command] = []
    @usableFromInline var turnResponders: [TurnWrite] = []
    /// Proposed writes whose entries were not yet handed to the state machine, by index.
    @usableFromInline var pendingWrites: Deque<PendingWrite<Types>> = []
    /// The engine's instant at the start of the current round of events.
    @usableFromInline var turnNow: RaftInstant = .zero
    /// `config.requestTimeout` in nanoseconds, converted once: every write needs it.
    @usableFromInline let defaultTimeoutNanoseconds: UInt64?
    /// No pending call's deadline is earlier than this (it may be earlier than every one
    /// still pending: it is recomputed only when reached).
    @usableFromInline var earliestCallDeadline: RaftInstant = .distantFuture
    /// Calls whose tasks were cancelled during this turn, answered once the turn's writes
    /// are proposed.
    @usableFromInline var cancelledCalls: [UInt64] = []
    /// Cancellations that arrived before their call (the caller's task was cancelled just as
    /// it called), kept until the call arrives or, at the latest, until the instant stored.
    @usableFromInline var earlyCancels: [UInt64: RaftInstant] = [:]
    @usableFromInline var pendingIncoming: [IncomingKey: (reply: IncomingReply<Types>, deadline: RaftInstant)] = [:]
    @usableFromInline var pendingChunks: [IncomingKey: (continuation: UnsafeContinuation<SnapshotChunkResponse, Never>, deadline: RaftInstant)] = [:]
    @usableFromInline var snapshotReception: (snapshotID: String, from: NodeID, data: [UInt8])?
    @usableFromInline var receivedSnapshots: [String: [UInt8]] = [:]
    // Keyed by their call's id, which is also their engine request token.
    @usableFromInline var pendingReads: [RequestToken: PendingCall<Result<LogID?, Failure>>] = [:]
    @usableFromInline var pendingMembershipChanges: [RequestToken: PendingCall<Result<LogID, Failure>>] = [:]
    @usableFromInline var pendingTransfers: [RequestToken: PendingCall<Result<NodeID, Failure>>] = [:]
    @usableFromInline var deferredReplies: [(token: RequestToken, reply: EngineReply)] = []
    /// The earliest deadline of a pending incoming request; the timer wakes the loop for it.
    @usableFromInline var earliestIncomingDeadline: RaftInstant?

    /// When the loop must run next even if no event arrives.
    @inlinable var nextDeadline: RaftInstant? {
        var deadline = inspectEngine { $0.nextDeadline }
        if let incoming = earliestIncomingDeadline { deadline = min(deadline ?? incoming, incoming) }
        if earliestCallDeadline != .distantFuture { deadline = min(deadline ?? earliestCallDeadline, earliestCallDeadline) }
        return deadline
    }
    @usableFromInline var runningState: RunningState = .running {
        didSet { isRunning = runningState == .running }
    }
    /// Whether `runningState` is `.running`; checked several times per turn, so kept as a flag
    /// instead of copying and comparing the state (and the error a fatal one carries).
    @usableFromInline var isRunning = true
    @usableFromInline var shutdownWaiters: [UnsafeContinuation<Void, Never>] = []
    @usableFromInline var unhandledEvents: [NodeEvent<Types>] = []
    @usableFromInline var lastTerm: Term = 0

    @inlinable init(
        engine: RaftEngine<Types>, config: RaftConfig, mailbox: Mailbox<NodeEvent<Types>>, publisher: MetricsPublisher<Types>,
        logStore: Log, stateMachine: Machine, network: Network,
        clock: NodeClock, logger: Logger
    ) {
        self.engine = engine
        self.config = config
        self.defaultTimeoutNanoseconds = config.requestTimeout?.nanosecondsClamped
        self.mailbox = mailbox
        self.publisher = publisher
        self.published = publisher.current
        let instruments = RaftInstruments.make(nodeID: engine.id)
        self.instruments = instruments
        self.logWriter = LogWriter(store: logStore, node: mailbox, instruments: instruments)
        self.stateMachineWorker = StateMachineWorker(stateMachine: stateMachine, node: mailbox, instruments: instruments)
        self.stateMachine = stateMachine
        self.logInline = logStore.neverBlocks
        self.applyInline = stateMachine.applyNeverBlocks
        self.network = network
        self.clock = clock
        self.timer = TimerService(mailbox: mailbox, clock: clock)
        self.logger = logger
        self.logger[metadataKey: "raft-node"] = "\(engine.id)"
        self.lastTerm = engine.vote.term
        self.logger[metadataKey: "raft-term"] = "\(engine.vote.term)"
    }

    @inlinable nonisolated(nonsending) func run() async {
        let worker = stateMachineWorker
        if !logInline {
            let writer = logWriter
            workerTasks.append(Task { await writer.run() })
        }
        workerTasks.append(Task { await worker.run() })
        await executeEngineCommands()
        publishMetrics()
        answerDeferredReplies()
        timer.schedule(engine.nextDeadline)
        while isRunning {
            var events = await mailbox.takeAll()
            if events.isEmpty { break }
            // Events that arrive while a turn runs (flushes reported by an inline log store,
            // answers from peers) join the turn, up to a few rounds, before metrics are published.
            var round = 0
            while true {
                turnNow = clock.now
                engine.tick(now: turnNow)
                instruments?.loopBatchSize.record(events.count)
                // Taken out of the batch rather than copied from it (each copy retains its payload).
                while isRunning, let event = events.popFirst() { handle(event) }
                guard isRunning else {
                    // Events behind a shutdown or a fatal error in the same batch still hold callers.
                    unhandledEvents.append(contentsOf: events)
                    break
                }
                mailbox.recycle(consume events)
                proposeTurnWrites()
                if !cancelledCalls.isEmpty { answerCancelledCalls() }
                await executeEngineCommands()
                round += 1
                guard isRunning, round < Self.maxRoundsPerTurn, let more = mailbox.takeNow() else { break }
                events = more
            }
            guard isRunning else { break }
            sweepExpiredIncoming()
            if turnNow >= earliestCallDeadline { sweepExpiredCalls() }
            publishMetrics()
            answerDeferredReplies()
            timer.schedule(nextDeadline)
        }
        await stop()
    }

    /// How many batches of events one turn takes before publishing metrics and answering
    /// deferred replies: enough to fold inline flushes and applies into the turn that caused
    /// them, few enough that a busy node still publishes often.
    @inlinable static var maxRoundsPerTurn: Int { 4 }

    @inlinable func handle(_ event: consuming NodeEvent<Types>) {
        // Consumed, so the payloads are moved out of the event rather than copied (retained)
        // and then released with it.
        switch consume event {
        case let .write(command, tag, continuation):
            if !earlyCancels.isEmpty, earlyCancels.removeValue(forKey: tag.id) != nil { return continuation.resume(returning: .failure(.cancelled)) }
            turnCommands.append(command)
            turnResponders.append(TurnWrite(responder: .single(continuation), callID: tag.id, deadline: deadline(of: tag)))
        case let .writeMany(commands, tag, continuation):
            if !earlyCancels.isEmpty, earlyCancels.removeValue(forKey: tag.id) != nil {
                return continuation.resume(returning: commands.map { _ in .failure(.cancelled) })
            }
            guard !commands.isEmpty else { return continuation.resume(returning: []) }
            let batch = WriteManyBatch(count: commands.count, continuation: continuation)
            let deadline = deadline(of: tag)
            for (slot, command) in commands.enumerated() {
                turnCommands.append(command)
                turnResponders.append(TurnWrite(responder: .many(batch, slot: slot), callID: tag.id, deadline: deadline))
            }
        case let .read(policy, tag, continuation):
            if !earlyCancels.isEmpty, earlyCancels.removeValue(forKey: tag.id) != nil { return continuation.resume(returning: .failure(.cancelled)) }
            pendingReads[tag.id] = PendingCall(continuation: continuation, deadline: trackedDeadline(of: tag))
            engine.requestRead(token: tag.id, policy: policy)
        case let .changeMembership(change, retain, expected, tag, continuation):
            if !earlyCancels.isEmpty, earlyCancels.removeValue(forKey: tag.id) != nil { return continuation.resume(returning: .failure(.cancelled)) }
            do {
                pendingMembershipChanges[tag.id] = PendingCall(continuation: continuation, deadline: trackedDeadline(of: tag))
                try engine.changeMembership(change, retainRemovedVoters: retain, expectedMembershipLogID: expected, token: tag.id)
            } catch {
                pendingMembershipChanges[tag.id] = nil
                continuation.resume(returning: .failure(failure(from: error)))
            }
        case let .transferLeader(target, tag, continuation):
            if !earlyCancels.isEmpty, earlyCancels.removeValue(forKey: tag.id) != nil { return continuation.resume(returning: .failure(.cancelled)) }
            do {
                pendingTransfers[tag.id] = PendingCall(continuation: continuation, deadline: trackedDeadline(of: tag))
                try engine.transferLeadership(to: target, token: tag.id)
            } catch {
                pendingTransfers[tag.id] = nil
                continuation.resume(returning: .failure(failure(from: error)))
            }
        case .cancel(let callID):
            cancel(callID)
        case let .initialize(membership, continuation):
            do {
                try engine.initialize(membership)
                continuation.resume(returning: .success(()))
            } catch {
                continuation.resume(returning: .failure(.initialize(error)))
            }
        case .trigger(let trigger):
            handle(trigger)
        case .shutdown(let continuation):
            shutdownWaiters.append(continuation)
            runningState = .stopped
        case let .incomingRequest(message, from, reply, timeout):
            if let kind = reply.kind {
                let key = IncomingKey(peer: from, rpcID: message.rpcID, kind: kind)
                pendingIncoming.removeValue(forKey: key)?.reply.fail(.remote("superseded by a duplicate request"))
                let deadline = clock.now + (timeout ?? config.rpcTimeout)
                pendingIncoming[key] = (reply, deadline)
                earliestIncomingDeadline = min(earliestIncomingDeadline ?? deadline, deadline)
            }
            engine.receive(message, from: from)
        case let .snapshotChunk(chunk, from, continuation):
            receiveSnapshotChunk(chunk, from: from, continuation: continuation)
        case let .response(message, from):
            engine.receive(message, from: from)
        case let .deliveryFailed(to, rpcID):
            engine.deliveryFailed(to: to, rpcID: rpcID)
        case .logFlushed(let io):
            engine.logIOFlushed(upTo: io)
        case let .entriesRead(id, entries):
            engine.entriesRead(id: id, entries: entries)
        case .applied(let entries, _):
            // The worker already answered the writes of these entries.
            workerBacklog -= 1
            if let last = entries.last { engine.applied(upTo: last.logID) }
        case .snapshotBuilt(let meta):
            workerBacklog -= 1
            engine.snapshotBuilt(meta)
        case .snapshotBuildFailed:
            workerBacklog -= 1
            engine.snapshotBuildFailed()
        case .snapshotInstalled(let meta):
            workerBacklog -= 1
            engine.snapshotInstalled(meta)
        case .storageFailed(let error):
            storageFailed(error)
        case .tick:
            break
        }
    }

    /// Storage errors are fatal: the node stops and fails what waits on it.
    @inlinable func storageFailed(_ error: StorageError) {
        logger.critical("storage failed; stopping", metadata: ["error": "\(error)"])
        runningState = .fatal(error)
    }

    @inlinable func handle(_ trigger: NodeEvent<Types>.Trigger) {
        switch trigger {
        case .elect: engine.triggerElection()
        case .heartbeat: engine.triggerHeartbeat()
        case .snapshot: engine.triggerSnapshot()
        case .purge(let index): engine.triggerPurge(upTo: index)
        case .resumeVoting: engine.resumeVoting()
        case .heartbeatEnabled(let enabled): engine.heartbeatEnabled = enabled
        case .electionEnabled(let enabled): engine.electionEnabled = enabled
        case .removalReported(let peer):
            logger.warning("a peer reports this node removed from the cluster; holding back campaigns", metadata: ["peer": "\(peer)"])
            engine.peerReportedRemoval(by: peer)
        }
    }

    /// Reads the engine where it lives. Calling a getter on `engine` straight off this class
    /// makes the compiler copy the whole engine value first (retaining and releasing every
    /// buffer it holds), because it cannot prove the stored property unchanged during the
    /// call; an inout access borrows it in place. Measured: several microseconds per loop turn.
    @inline(__always)
    @inlinable func inspectEngine<Result>(_ body: (inout RaftEngine<Types>) -> Result) -> Result {
        body(&engine)
    }

    /// Proposes the writes of this turn in batches of at most `maxWritesPerTurn`.
    @inlinable func proposeTurnWrites() {
        guard !turnCommands.isEmpty else { return }
        let limit = config.maxWritesPerTurn
        if turnCommands.count <= limit {
            propose(turnCommands, turnResponders)
        } else {
            var start = 0
            while start < turnCommands.count {
                let end = min(start + limit, turnCommands.count)
                propose(Array(turnCommands[start..<end]), Array(turnResponders[start..<end]))
                start = end
            }
        }
        turnCommands.removeAll(keepingCapacity: true)
        turnResponders.removeAll(keepingCapacity: true)
    }

    @inlinable func propose(_ commands: [Types.Command], _ responders: [TurnWrite]) {
        do {
            guard let first = try engine.propose(commands) else { return }
            let proposedAt: ContinuousClock.Instant? = instruments == nil ? nil : .now
            insertPending(first: first, responders: responders, proposedAt: proposedAt)
        } catch {
            let failure = failure(from: error)
            for write in responders { resolve(write.responder, .failure(failure)) }
        }
    }

    @inlinable func insertPending(first: LogID, responders: [TurnWrite], proposedAt: ContinuousClock.Instant?) {
        // A node leading again after its old entries were replaced may propose below older
        // pending writes; keep the queue ordered by index.
        let needsSort = (pendingWrites.last?.logID.index ?? 0) >= first.index
        for (offset, write) in responders.enumerated() {
            let logID = LogID(leaderID: first.leaderID, index: first.index + LogIndex(offset))
            pendingWrites.append(PendingWrite(logID: logID, responder: write.responder, callID: write.callID, deadline: write.deadline, proposedAt: proposedAt))
            if write.deadline < earliestCallDeadline { earliestCallDeadline = write.deadline }
        }
        if needsSort {
            pendingWrites = Deque(pendingWrites.sorted { $0.logID.index < $1.logID.index })
        }
    }

    @inlinable func resolve(_ responder: WriteResponder, _ result: WriteResult) {
        responder.resolve(result)
    }

    /// Incoming requests the engine never answered (ignored as stale or malformed) fail after
    /// the RPC timeout instead of hanging their caller.
    @inlinable func sweepExpiredIncoming() {
        let now = clock.now
        guard let earliest = earliestIncomingDeadline, now >= earliest else { return }
        var next: RaftInstant?
        for (key, pending) in pendingIncoming {
            if pending.deadline <= now {
                pendingIncoming.removeValue(forKey: key)
                pending.reply.fail(.timeout)
            } else {
                next = min(next ?? pending.deadline, pending.deadline)
            }
        }
        for (key, pending) in pendingChunks {
            if pending.deadline <= now {
                pendingChunks.removeValue(forKey: key)
                pending.continuation.resume(returning: .outOfOrder(expectedOffset: 0))
            } else {
                next = min(next ?? pending.deadline, pending.deadline)
            }
        }
        earliestIncomingDeadline = next
    }

    @inlinable func failure(from error: Error) -> Failure {
        func forward(_ forward: ForwardToLeader) -> Failure {
            guard let leaderID = forward.leaderID else { return forward.notAMember ? .notAMember : .forwardToLeader(leaderID: nil, address: nil) }
            return .forwardToLeader(leaderID: leaderID, address: engine.effectiveMembership.membership.address(of: leaderID))
        }
        switch error {
        case let error as ProposeError:
            switch error {
            case .forwardToLeader(let target): return forward(target)
            case .transferringLeadership(let target): return .transferringLeadership(to: target)
            }
        case let error as MembershipChangeFailure:
            switch error {
            case .rejected(let reason): return .membershipChange(reason)
            case .forwardToLeader(let target): return forward(target)
            // The change's entry is in the log: the next leader may still complete it.
            case .leadershipLost: return .outcomeUnknown(.leadershipLost)
            }
        case let error as LeaderTransferError:
            if case .forwardToLeader(let target) = error { return forward(target) }
            if case .leadershipLost(let target) = error {
                return .leadershipLost(leaderID: target.leaderID, address: target.leaderID.flatMap { engine.effectiveMembership.membership.address(of: $0) })
            }
            return .leaderTransfer(error)
        case let error as ReadIndexError:
            switch error {
            case .forwardToLeader(let target): return forward(target)
            case .leadershipLost(let target): return .leadershipLost(leaderID: target.leaderID, address: target.leaderID.flatMap { engine.effectiveMembership.membership.address(of: $0) })
            }
        case let error as InitializeError:
            return .initialize(error)
        default:
            return .unsupported("\(error)")
        }
    }

    /// Fails everything still waiting and stops the workers.
    @inlinable nonisolated(nonsending) func stop() async {
        let reason: Failure
        let unknown: UnknownOutcome
        if case .fatal(let error) = runningState {
            reason = .storage(error)
            unknown = .storageFailed(error)
        } else {
            reason = .shuttingDown
            unknown = .nodeStopped
        }
        timer.cancel()
        // Published before the mailbox closes, so a call refused by the closed mailbox finds
        // the reason (the storage error) in the metrics.
        publishMetrics()
        mailbox.close()
        answerDeferredReplies()
        for write in turnResponders { resolve(write.responder, .failure(reason)) }
        turnResponders = []
        // Proposed entries may still be committed by the other nodes (even after a storage
        // failure here), so their writes' outcome is unknown, not failed.
        while let pending = pendingWrites.popFirst() { resolve(pending.responder, .failure(.outcomeUnknown(unknown))) }
        for (_, pending) in pendingIncoming { pending.reply.fail(.remote("node stopped")) }
        pendingIncoming = [:]
        for (_, pending) in pendingChunks { pending.continuation.resume(returning: .outOfOrder(expectedOffset: 0)) }
        pendingChunks = [:]
        for (_, pending) in pendingReads { pending.continuation.resume(returning: .failure(reason)) }
        pendingReads = [:]
        // A change whose entry is in the log may still complete on the other nodes.
        for (_, pending) in pendingMembershipChanges { pending.continuation.resume(returning: .failure(.outcomeUnknown(unknown))) }
        pendingMembershipChanges = [:]
        for (_, pending) in pendingTransfers { pending.continuation.resume(returning: .failure(reason)) }
        pendingTransfers = [:]
        // Events queued before the mailbox closed still hold continuations.
        for event in unhandledEvents { failQueued(event, reason) }
        unhandledEvents = []
        for event in mailbox.takeNow() ?? [] { failQueued(event, reason) }
        for link in peers.values { link.close() }
        for task in snapshotSends.values { task.cancel() }
        for task in snapshotSends.values { await task.value }
        logWriter.mailbox.close()
        stateMachineWorker.mailbox.close()
        for task in workerTasks { await task.value }
        // Nothing uses the stores any more: release their files and locks, so the same
        // directories can be opened again in this process.
        await logWriter.store.close()
        await stateMachine.close()
        publishMetrics()
        publisher.finish()
        for waiter in shutdownWaiters { waiter.resume() }
    }

    @inlinable func failQueued(_ event: NodeEvent<Types>, _ reason: Failure) {
        switch event {
        case .write(_, _, let continuation): continuation.resume(returning: .failure(reason))
        case let .writeMany(commands, _, continuation): continuation.resume(returning: commands.map { _ in .failure(reason) })
        case .read(_, _, let continuation): continuation.resume(returning: .failure(reason))
        case .changeMembership(_, _, _, _, let continuation): continuation.resume(returning: .failure(reason))
        case .transferLeader(_, _, let continuation): continuation.resume(returning: .failure(reason))
        case .initialize(_, let continuation): continuation.resume(returning: .failure(reason))
        case .shutdown(let continuation): continuation.resume()
        case .incomingRequest(_, _, let reply, _): reply.fail(.remote("node stopped"))
        case .snapshotChunk(_, _, let continuation): continuation.resume(returning: .outOfOrder(expectedOffset: 0))
        default: break
        }
    }
}
