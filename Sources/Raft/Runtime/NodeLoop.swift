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
    @usableFromInline var turnResponders: [WriteResponder] = []
    /// Proposed writes whose entries were not yet handed to the state machine, by index.
    @usableFromInline var pendingWrites: Deque<PendingWrite<Types>> = []
    @usableFromInline var pendingIncoming: [IncomingKey: (reply: IncomingReply<Types>, deadline: RaftInstant)] = [:]
    @usableFromInline var pendingChunks: [IncomingKey: (continuation: UnsafeContinuation<SnapshotChunkResponse, Never>, deadline: RaftInstant)] = [:]
    @usableFromInline var snapshotReception: (snapshotID: String, from: NodeID, data: [UInt8])?
    @usableFromInline var receivedSnapshots: [String: [UInt8]] = [:]
    @usableFromInline var pendingReads: [RequestToken: UnsafeContinuation<Result<LogID?, Failure>, Never>] = [:]
    @usableFromInline var pendingMembershipChanges: [RequestToken: UnsafeContinuation<Result<LogID, Failure>, Never>] = [:]
    @usableFromInline var pendingTransfers: [RequestToken: UnsafeContinuation<Result<NodeID, Failure>, Never>] = [:]
    @usableFromInline var nextToken: RequestToken = 1
    @usableFromInline var deferredReplies: [(token: RequestToken, reply: EngineReply)] = []
    /// The earliest deadline of a pending incoming request; the timer wakes the loop for it.
    @usableFromInline var earliestIncomingDeadline: RaftInstant?

    /// When the loop must run next even if no event arrives.
    @inlinable var nextDeadline: RaftInstant? {
        let engineDeadline = inspectEngine { $0.nextDeadline }
        guard let incoming = earliestIncomingDeadline else { return engineDeadline }
        guard let engineDeadline else { return incoming }
        return min(incoming, engineDeadline)
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
                engine.tick(now: clock.now)
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
                await executeEngineCommands()
                round += 1
                guard isRunning, round < Self.maxRoundsPerTurn, let more = mailbox.takeNow() else { break }
                events = more
            }
            guard isRunning else { break }
            sweepExpiredIncoming()
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
        case let .write(command, continuation):
            turnCommands.append(command)
            turnResponders.append(.single(continuation))
        case let .writeMany(commands, continuation):
            guard !commands.isEmpty else { return continuation.resume(returning: []) }
            let batch = WriteManyBatch(count: commands.count, continuation: continuation)
            for (slot, command) in commands.enumerated() {
                turnCommands.append(command)
                turnResponders.append(.many(batch, slot: slot))
            }
        case let .read(policy, continuation):
            let token = takeToken()
            pendingReads[token] = continuation
            engine.requestRead(token: token, policy: policy)
        case let .changeMembership(change, retain, expected, continuation):
            let token = takeToken()
            do {
                try engine.changeMembership(change, retainRemovedVoters: retain, expectedMembershipLogID: expected, token: token)
                pendingMembershipChanges[token] = continuation
            } catch {
                continuation.resume(returning: .failure(failure(from: error)))
            }
        case let .transferLeader(target, continuation):
            let token = takeToken()
            do {
                pendingTransfers[token] = continuation
                try engine.transferLeadership(to: target, token: token)
            } catch {
                pendingTransfers[token] = nil
                continuation.resume(returning: .failure(failure(from: error)))
            }
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

    @inlinable func takeToken() -> RequestToken {
        defer { nextToken += 1 }
        return nextToken
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

    @inlinable func propose(_ commands: [Types.Command], _ responders: [WriteResponder]) {
        do {
            guard let first = try engine.propose(commands) else { return }
            let proposedAt: ContinuousClock.Instant? = instruments == nil ? nil : .now
            insertPending(first: first, responders: responders, proposedAt: proposedAt)
        } catch {
            let failure = failure(from: error)
            for responder in responders { resolve(responder, .failure(failure)) }
        }
    }

    @inlinable func insertPending(first: LogID, responders: [WriteResponder], proposedAt: ContinuousClock.Instant?) {
        // A node leading again after its old entries were replaced may propose below older
        // pending writes; keep the queue ordered by index.
        let needsSort = (pendingWrites.last?.logID.index ?? 0) >= first.index
        for (offset, responder) in responders.enumerated() {
            let logID = LogID(leaderID: first.leaderID, index: first.index + LogIndex(offset))
            pendingWrites.append(PendingWrite(logID: logID, responder: responder, proposedAt: proposedAt))
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

    @inlinable func forwardToLeader() -> Failure {
        let leader = engine.currentLeader
        return .forwardToLeader(leaderID: leader, address: leader.flatMap { engine.effectiveMembership.membership.address(of: $0) })
    }

    @inlinable func failure(from error: Error) -> Failure {
        func forward(_ forward: ForwardToLeader) -> Failure {
            .forwardToLeader(leaderID: forward.leaderID, address: forward.leaderID.flatMap { engine.effectiveMembership.membership.address(of: $0) })
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
            case .leadershipLost(let target): return .leadershipLost(leaderID: target.leaderID, address: target.leaderID.flatMap { engine.effectiveMembership.membership.address(of: $0) })
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
        if case .fatal(let error) = runningState { reason = .storage(error) } else { reason = .shuttingDown }
        timer.cancel()
        mailbox.close()
        answerDeferredReplies()
        for responder in turnResponders { resolve(responder, .failure(reason)) }
        turnResponders = []
        // Proposed entries may still be committed by the other nodes (even after a storage
        // failure here), so their writes' outcome is unknown, not failed.
        while let pending = pendingWrites.popFirst() { resolve(pending.responder, .failure(.outcomeUnknown)) }
        for (_, pending) in pendingIncoming { pending.reply.fail(.remote("node stopped")) }
        pendingIncoming = [:]
        for (_, pending) in pendingChunks { pending.continuation.resume(returning: .outOfOrder(expectedOffset: 0)) }
        pendingChunks = [:]
        for (_, continuation) in pendingReads { continuation.resume(returning: .failure(reason)) }
        pendingReads = [:]
        for (_, continuation) in pendingMembershipChanges { continuation.resume(returning: .failure(reason)) }
        pendingMembershipChanges = [:]
        for (_, continuation) in pendingTransfers { continuation.resume(returning: .failure(reason)) }
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
        publishMetrics()
        publisher.finish()
        for waiter in shutdownWaiters { waiter.resume() }
    }

    @inlinable func failQueued(_ event: NodeEvent<Types>, _ reason: Failure) {
        switch event {
        case .write(_, let continuation): continuation.resume(returning: .failure(reason))
        case let .writeMany(commands, continuation): continuation.resume(returning: commands.map { _ in .failure(reason) })
        case .read(_, let continuation): continuation.resume(returning: .failure(reason))
        case .changeMembership(_, _, _, let continuation): continuation.resume(returning: .failure(reason))
        case .transferLeader(_, let continuation): continuation.resume(returning: .failure(reason))
        case .initialize(_, let continuation): continuation.resume(returning: .failure(reason))
        case .shutdown(let continuation): continuation.resume()
        case .incomingRequest(_, _, let reply, _): reply.fail(.remote("node stopped"))
        case .snapshotChunk(_, _, let continuation): continuation.resume(returning: .outOfOrder(expectedOffset: 0))
        default: break
        }
    }
}
