import Logging
import Synchronization

/// One Raft node: the public handle applications use to form a cluster, write, read, change
/// membership, and serve their peers' RPCs.
///
/// ```swift
/// let node = try await RaftNode.start(
///     id: 1, config: RaftConfig(), logStore: MemoryLogStore<KVTypes>(),
///     stateMachine: MemoryKVStateMachine(), network: myNetwork)
/// try await node.initialize(Membership(voters: [1: "10.0.0.1:7000", 2: "10.0.0.2:7000", 3: "10.0.0.3:7000"]))
/// let response = try await node.write(.put(key: "k", value: "v"))
/// ```
///
/// Every call is answered: with the state machine's response, or with a typed ``RaftError``
/// (for instance ``RaftError/forwardToLeader(leaderID:address:)`` on a follower).
public final class RaftNode<Types: RaftTypeConfig>: Sendable {
    /// The error every call of this node throws.
    public typealias Failure = RaftError<Types.NodeAddress>

    /// This node's id.
    public let id: NodeID
    /// The configuration the node was started with.
    public let config: RaftConfig
    @usableFromInline let mailbox: Mailbox<NodeEvent<Types>>
    @usableFromInline let publisher: MetricsPublisher<Types>
    @usableFromInline let loopTask: Task<Void, Never>
    /// Numbers client calls, so a cancelled call can be named to the loop.
    @usableFromInline let callIDs = Atomic<UInt64>(0)
    /// The commit point at startup; `waitForRecovery` waits until it is applied.
    @usableFromInline let recoveryTarget: LogIndex

    @inlinable init(id: NodeID, config: RaftConfig, mailbox: Mailbox<NodeEvent<Types>>, publisher: MetricsPublisher<Types>, loopTask: Task<Void, Never>, recoveryTarget: LogIndex) {
        self.id = id
        self.config = config
        self.mailbox = mailbox
        self.publisher = publisher
        self.loopTask = loopTask
        self.recoveryTarget = recoveryTarget
    }

    /// Starts a node: recovers its vote, log, commit point, snapshot and membership from
    /// storage, then runs until ``shutdown()`` or a fatal storage error.
    ///
    /// - Parameters:
    ///   - id: this node's id, unique in the cluster and never reused with a fresh log.
    ///   - config: timeouts, limits and the engine's settings; validated first (an invalid one
    ///     fails with ``RaftError/config(_:)``).
    ///   - logStore: the node's log, vote and commit point.
    ///   - stateMachine: the replicated state the node applies committed entries to.
    ///   - network: makes the client the node reaches each peer through.
    ///   - logger: receives changes of role, leader and membership at `info`, per-message
    ///     detail at `debug`.
    ///   - storageLost: set when this node's storage was wiped or found corrupt after it had
    ///     acknowledged data: the node then replicates but never votes or campaigns until
    ///     ``resumeVoting()`` (see <doc:DisasterRecovery>).
    ///   - randomSeed: seeds the randomized election timeouts (nil: a random seed); set it to
    ///     make a test's elections repeatable.
    ///   - executor: where the node's loop runs (nil: the global concurrent pool). A
    ///     ``RaftThreadExecutor`` shared with the node's callers makes hand-offs between them
    ///     queue appends instead of thread wake-ups.
    @inlinable public static func start<Log: RaftLogStorage<Types>, Machine: RaftStateMachine<Types>, Network: RaftNetworkFactory<Types>>(
        id: NodeID, config: RaftConfig = RaftConfig(), logStore: Log,
        stateMachine: Machine, network: Network,
        logger: Logger = Logger(label: "swift-raft"), storageLost: Bool = false, randomSeed: UInt64? = nil,
        executor: (any TaskExecutor)? = nil
    ) async throws(Failure) -> RaftNode {
        if let error = config.validate() { throw .config(error) }
        if logStore.isDurable, !stateMachine.isDurable, config.engine.snapshotPolicy != .never {
            throw .config(RaftConfigError(
                field: "stateMachine",
                reason: """
                    is not durable (isDurable is false) but the log store is, and the snapshot policy purges the log: \
                    after a restart the log would be purged past a snapshot that only lived in memory, and the node \
                    could not start. Keep snapshots on disk (wrap the state machine in DurableSnapshotStateMachine \
                    from RaftFileStore, or use FileBackedKVStateMachine), declare isDurable if its state or its \
                    snapshots already survive restarts, or set engine.snapshotPolicy to .never to keep the whole log
                    """))
        }
        let recovered: RecoveredState<Types>
        do {
            recovered = try await Recovery(log: logStore, stateMachine: stateMachine, tailEntries: min(config.engine.maxCachedEntries, 65_536))
                .load(votingSuspended: storageLost)
        } catch {
            throw .storage(error)
        }
        let clock = NodeClock()
        let engine = RaftEngine<Types>(id: id, config: config.engine, recovered: recovered, now: clock.now, randomSeed: randomSeed ?? UInt64.random(in: 0...UInt64.max))
        let mailbox = Mailbox<NodeEvent<Types>>()
        let publisher = MetricsPublisher<Types>(Self.initialMetrics(engine))
        let loop = NodeLoop(
            engine: engine, config: config, mailbox: mailbox, publisher: publisher, logStore: logStore,
            stateMachine: stateMachine, network: network, clock: clock, logger: logger)
        let task = Task(executorPreference: executor) { await loop.run() }
        return RaftNode(id: id, config: config, mailbox: mailbox, publisher: publisher, loopTask: task, recoveryTarget: recovered.committed.indexOrZero)
    }

    @inlinable static func initialMetrics(_ engine: RaftEngine<Types>) -> RaftMetrics<Types> {
        RaftMetrics(
            id: engine.id, runningState: .running, state: engine.serverState, currentTerm: engine.vote.term, vote: engine.vote,
            currentLeader: engine.currentLeader, lastLogID: engine.lastLogID, durableLogID: engine.durableLogID,
            committed: engine.committed, lastApplied: engine.applied, snapshot: engine.snapshot?.lastLogID,
            purged: engine.lastPurgedLogID, membership: engine.effectiveMembership, committedMembership: engine.committedMembership,
            replication: [:], votingSuspended: engine.votingSuspended)
    }

    /// A new call's tag; `timeout` nil takes ``RaftConfig/requestTimeout``.
    @inlinable func nextCallTag(timeout: Duration?) -> CallTag {
        CallTag(id: callIDs.wrappingAdd(1, ordering: .relaxed).newValue, timeout: timeout)
    }

    /// What a call gets once the node no longer takes requests: the storage error that
    /// stopped it, or ``RaftError/shuttingDown``.
    @inlinable var stoppedError: Failure {
        if case .fatal(let error) = publisher.current.runningState { return .storage(error) }
        return .shuttingDown
    }

    /// Sends the event `make` builds around a tag and a continuation, and waits for its
    /// answer. Cancelling the caller's task asks the loop to answer at once.
    @inlinable nonisolated(nonsending) func call<Value>(
        timeout: Duration?, _ make: (CallTag, UnsafeContinuation<Result<Value, Failure>, Never>) -> NodeEvent<Types>
    ) async throws(Failure) -> Value {
        let tag = nextCallTag(timeout: timeout)
        let result: Result<Value, Failure> = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                if !mailbox.push(make(tag, continuation)) { continuation.resume(returning: .failure(stoppedError)) }
            }
        } onCancel: { [mailbox] in
            mailbox.push(.cancel(callID: tag.id))
        }
        return try result.get()
    }

    // MARK: Cluster formation

    /// Makes a pristine node the first member of a new cluster with `membership`. Call it on
    /// one node, or on every node with the same membership. A node that already has state
    /// fails with ``RaftError/initialize(_:)`` carrying `InitializeError.alreadyInitialized`,
    /// which is harmless.
    @inlinable public func initialize(_ membership: Membership<Types>) async throws(Failure) {
        let result: Result<Void, Failure> = await withUnsafeContinuation { continuation in
            if !mailbox.push(.initialize(membership, continuation)) { continuation.resume(returning: .failure(stoppedError)) }
        }
        try result.get()
    }

    // MARK: Writes

    /// Replicates `command` and returns the state machine's response once it is applied on
    /// this (leader) node.
    ///
    /// Every call ends. Besides the response it can fail with a ``RaftError`` whose
    /// ``RaftError/isRetryable`` says the command did not take effect (another node leads: see
    /// ``RaftError/forwardToLeader(leaderID:address:)``), or whose
    /// ``RaftError/mayHaveBeenApplied`` says its fate is unknown (the node stopped leading,
    /// `timeout` passed, the task was cancelled after the command was proposed): retry those
    /// only for idempotent or deduplicated commands (``ClientSessions``).
    ///
    /// - Parameters:
    ///   - command: the command to replicate and apply.
    ///   - timeout: how long to wait (nil: ``RaftConfig/requestTimeout``).
    @inlinable nonisolated(nonsending) public func write(_ command: Types.Command, timeout: Duration? = nil) async throws(Failure) -> Types.Response {
        // On the caller's executor (nonsending): pushing to the mailbox never blocks, so a hop
        // to the global executor first only added an executor switch to every write. Written
        // out rather than through `call`, whose closure costs every write an allocation.
        let tag = nextCallTag(timeout: timeout)
        let result: Result<Types.Response, Failure> = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                if !mailbox.push(.write(command, tag, continuation)) { continuation.resume(returning: .failure(stoppedError)) }
            }
        } onCancel: { [mailbox] in
            mailbox.push(.cancel(callID: tag.id))
        }
        return try result.get()
    }

    /// Replicates several commands with one call; results come back in order, each as
    /// ``write(_:timeout:)`` would answer it.
    @inlinable nonisolated(nonsending) public func writeMany(_ commands: [Types.Command], timeout: Duration? = nil) async -> [Result<Types.Response, Failure>] {
        let tag = nextCallTag(timeout: timeout)
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                if !mailbox.push(.writeMany(commands, tag, continuation)) {
                    let error = stoppedError
                    continuation.resume(returning: commands.map { _ in .failure(error) })
                }
            }
        } onCancel: { [mailbox] in
            mailbox.push(.cancel(callID: tag.id))
        }
    }

    // MARK: Reads

    /// Makes a following read linearizable: returns once leadership is confirmed (by a quorum
    /// round trip, or by the lease with `ReadPolicy.lease`) and the state machine has applied
    /// everything committed before the call. Read the state machine right after.
    ///
    /// - Parameters:
    ///   - policy: `.readIndex` (a quorum round trip) or `.lease` (no round trip while the
    ///     leader's lease holds; assumes bounded clock drift).
    ///   - timeout: how long to wait (nil: ``RaftConfig/requestTimeout``); past it the
    ///   call fails with ``RaftError/timeout``.
    @discardableResult
    @inlinable public func ensureLinearizable(policy: ReadPolicy = .readIndex, timeout: Duration? = nil) async throws(Failure) -> LogID? {
        try await call(timeout: timeout) { .read(policy, $0, $1) }
    }

    /// Linearizable read on a follower: asks the leader for a read index through `client`
    /// (one round trip) and waits until this node has applied it.
    @discardableResult
    @inlinable public func ensureLinearizable(via leader: some RaftNetworkClient<Types>, timeout: Duration) async throws(Failure) -> LogID? {
        let deadline = ContinuousClock.now + timeout
        let readIndex: LogID?
        do {
            readIndex = try await leader.readIndex(timeout: timeout)
        } catch .timeout {
            throw .timeout
        } catch {
            throw .network(error)
        }
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { throw .timeout }
        try await wait(until: .appliedIndex(atLeast: readIndex.indexOrZero), timeout: remaining)
        return readIndex
    }

    // MARK: Membership

    /// Changes the membership: through a joint configuration when voters change, in one step
    /// for learners. Returns the log id of the final configuration once it is committed. A
    /// change that would leave the membership as it is (a learner added again) appends
    /// nothing and returns the current membership's log id.
    ///
    /// - Parameters:
    ///   - change: what to change, applied to the effective membership.
    ///   - retainRemovedVoters: removed voters stay as learners (true) or leave (false).
    ///   - ifCurrent: when set, the change applies only if the effective membership is still
    ///     the one carried by that log entry.
    ///   - timeout: how long to wait (nil: ``RaftConfig/requestTimeout``); past it the call
    ///     answers ``RaftError/outcomeUnknown(_:)``, as the change may still complete.
    @discardableResult
    @inlinable public func changeMembership(
        _ change: MembershipChange<Types>, retainRemovedVoters: Bool = false, ifCurrent: LogID?? = nil, timeout: Duration? = nil
    ) async throws(Failure) -> LogID {
        try await call(timeout: timeout) { .changeMembership(change, retain: retainRemovedVoters, expected: ifCurrent, $0, $1) }
    }

    /// Adds a learner (a node that already is one with this address: nothing changes). With
    /// `waitUntilCaughtUp`, returns only once it has replicated everything the leader had when
    /// the learner was added (or `timeout` passed).
    @discardableResult
    @inlinable public func addLearner(_ id: NodeID, address: Types.NodeAddress, waitUntilCaughtUp: Bool = true, timeout: Duration = .seconds(30)) async throws(Failure) -> LogID {
        let logID = try await changeMembership(.addLearners([id: address]), timeout: timeout)
        guard waitUntilCaughtUp else { return logID }
        let condition = MetricsCondition<Types>("learner \(id) caught up to \(logID.index)") { metrics in
            (metrics.replication[id]?.matched.indexOrZero ?? 0) >= logID.index
        }
        _ = try await wait(until: condition, timeout: timeout)
        return logID
    }

    /// Hands leadership to `target` (a voter) and returns once it leads. Refused at once when
    /// the target may not lead (not a voter, or its voting is suspended).
    @inlinable public func transferLeader(to target: NodeID, timeout: Duration? = nil) async throws(Failure) {
        _ = try await call(timeout: timeout) { .transferLeader(target, $0, $1) }
    }

    // MARK: Triggers and switches

    /// Starts an election now (if this node is a voter and not the leader).
    @inlinable public func triggerElection() { mailbox.push(.trigger(.elect)) }
    /// Sends a heartbeat to every follower now (leader only).
    @inlinable public func triggerHeartbeat() { mailbox.push(.trigger(.heartbeat)) }
    /// Builds a snapshot now.
    @inlinable public func triggerSnapshot() { mailbox.push(.trigger(.snapshot)) }
    /// Purges the log up to `index`, as far as the snapshot and the applied state allow.
    @inlinable public func purgeLog(upTo index: LogIndex) { mailbox.push(.trigger(.purge(upTo: index))) }
    /// Turns leader heartbeats on or off (for tests and maintenance).
    @inlinable public func setHeartbeatEnabled(_ enabled: Bool) { mailbox.push(.trigger(.heartbeatEnabled(enabled))) }
    /// Turns elections on or off on this node.
    @inlinable public func setElectionEnabled(_ enabled: Bool) { mailbox.push(.trigger(.electionEnabled(enabled))) }
    /// Lets a node started with `storageLost: true` vote and campaign again, once it has been
    /// re-admitted or its data verified.
    @inlinable public func resumeVoting() { mailbox.push(.trigger(.resumeVoting)) }

    // MARK: Serving peers

    /// Handles an append-entries RPC from the leader, answering within `timeout` (by default
    /// the configured RPC timeout) even if the engine ignores the request.
    @inlinable public func appendEntries(_ request: AppendEntriesRequest<Types>, timeout: Duration? = nil) async throws(RPCError) -> AppendEntriesResponse {
        let result: Result<AppendEntriesResponse, RPCError> = await withUnsafeContinuation { continuation in
            appendEntries(request, timeout: timeout) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Handles an append-entries RPC without waiting: `reply` is called exactly once, within
    /// `timeout`, from the node's loop (so it should only queue the answer, not block). For
    /// transports that answer from a callback.
    @inlinable public func appendEntries(
        _ request: AppendEntriesRequest<Types>, timeout: Duration? = nil, reply: @escaping @Sendable (Result<AppendEntriesResponse, RPCError>) -> Void
    ) {
        guard let leader = request.vote.votedFor else { return reply(.failure(.remote("append without a leader"))) }
        if !mailbox.push(.incomingRequest(.appendEntries(request), from: leader, .append(reply), timeout: timeout)) {
            reply(.failure(.remote("node stopped")))
        }
    }

    /// Handles a vote or pre-vote RPC from a candidate, answering within `timeout`.
    @inlinable public func vote(_ request: VoteRequest, timeout: Duration? = nil) async throws(RPCError) -> VoteResponse {
        let result: Result<VoteResponse, RPCError> = await withUnsafeContinuation { continuation in
            vote(request, timeout: timeout) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Handles a vote or pre-vote RPC without waiting; `reply` as for appends.
    @inlinable public func vote(_ request: VoteRequest, timeout: Duration? = nil, reply: @escaping @Sendable (Result<VoteResponse, RPCError>) -> Void) {
        guard let candidate = request.vote.votedFor else { return reply(.failure(.remote("vote request without a candidate"))) }
        if !mailbox.push(.incomingRequest(.vote(request), from: candidate, .vote(reply), timeout: timeout)) {
            reply(.failure(.remote("node stopped")))
        }
    }

    /// Handles one chunk of a snapshot streamed by the leader.
    @inlinable public func installSnapshotChunk(_ chunk: SnapshotChunk<Types>) async -> SnapshotChunkResponse {
        guard let leader = chunk.vote.votedFor else { return .rejected(vote: .initial) }
        return await withUnsafeContinuation { continuation in
            if !mailbox.push(.snapshotChunk(chunk, from: leader, continuation)) {
                continuation.resume(returning: .outOfOrder(expectedOffset: 0))
            }
        }
    }

    /// Handles the leader's request to campaign at once (leadership transfer).
    @inlinable public func timeoutNow(_ request: TimeoutNowRequest) {
        guard let leader = request.vote.votedFor else { return }
        mailbox.push(.incomingRequest(.timeoutNow(request), from: leader, .none, timeout: nil))
    }

    /// Serves a follower's read-index request (see ``ensureLinearizable(via:timeout:)``).
    @inlinable public func readIndexForFollower() async throws(Failure) -> LogID? {
        try await ensureLinearizable(policy: .readIndex)
    }

    // MARK: Observing

    /// The latest metrics.
    @inlinable public var metrics: RaftMetrics<Types> { publisher.current }

    /// Every change of the metrics, newest first when a reader falls behind.
    @inlinable public var metricsUpdates: AsyncStream<RaftMetrics<Types>> { publisher.subscribe() }

    /// Waits until `condition` holds; fails with ``RaftError/timeout`` after `timeout`, and
    /// with ``RaftError/cancelled`` as soon as the caller's task is cancelled.
    @discardableResult
    @inlinable public func wait(until condition: MetricsCondition<Types>, timeout: Duration) async throws(Failure) -> RaftMetrics<Types> {
        guard let metrics = await publisher.wait(for: condition, timeout: timeout) else {
            if publisher.current.runningState != .running { throw stoppedError }
            if Task.isCancelled { throw .cancelled }
            throw .timeout
        }
        return metrics
    }

    /// Waits until everything committed before this node started has been applied again, so a
    /// restarted node with a volatile state machine serves no stale state.
    @inlinable public func waitForRecovery(timeout: Duration) async throws(Failure) {
        _ = try await wait(until: .appliedIndex(atLeast: recoveryTarget), timeout: timeout)
    }

    // MARK: Lifecycle

    /// Stops the node: pending calls fail with ``RaftError/shuttingDown`` (or
    /// ``RaftError/outcomeUnknown(_:)`` for writes already proposed); returns once stopped
    /// and its log store and state machine are closed.
    @inlinable public func shutdown() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            if !mailbox.push(.shutdown(continuation)) { continuation.resume() }
        }
        await loopTask.value
    }
}
