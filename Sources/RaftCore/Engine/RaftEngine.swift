import DequeModule

/// The Raft protocol for one node, as a pure value: no I/O, no clock, no tasks, no locks.
///
/// Inputs are method calls (a message arrived, time passed, an I/O finished, a client asked
/// for something); outputs are ``EngineCommand``s collected in a buffer that the caller takes
/// with ``takeCommands()`` and executes. Every protocol decision (voting, elections,
/// replication, commit, membership, snapshots, reads, leadership transfer) is made here, so the
/// simulator exercises exactly the code production runs.
///
/// Terms follow openraft's vote model: a ``Vote`` names a leadership `(term, node)` and says
/// whether it won. See `ARCHITECTURE.md` for the command-ordering rules an executor follows.
public struct RaftEngine<T: RaftTypeConfig>: Sendable {
    /// This node's id.
    public let id: NodeID
    @usableFromInline var _config: EngineConfig
    @usableFromInline var random: SplitMix64
    @usableFromInline var _now: RaftInstant

    // MARK: Persistent state (as accepted; durability is tracked by `io`)

    @usableFromInline var _vote: Vote
    @usableFromInline var log: LogIDList
    @usableFromInline var cache: EntryCache<T>
    @usableFromInline var _committed: LogID?
    /// The last entry handed to the state machine.
    @usableFromInline var applySubmitted: LogID?
    @usableFromInline var _applied: LogID?
    @usableFromInline var _snapshot: SnapshotMeta<T>?
    @usableFromInline var membership: MembershipState<T>
    @usableFromInline var _votingSuspended: Bool

    // MARK: Volatile state

    @usableFromInline var role: Role = .follower
    @usableFromInline var campaign: Campaign?
    @usableFromInline var leader: LeaderState<T>?
    @usableFromInline var io = LogIOTracker()
    /// The I/O that saved the current vote.
    @usableFromInline var lastVoteIO: IOID = 0
    /// The position in `output` of an append command that later entries may join, and its I/O.
    @usableFromInline var openAppend: (position: Int, io: IOID)?
    /// Messages held until the log I/O they depend on is durable, in I/O order.
    @usableFromInline var heldMessages: Deque<(io: IOID, to: NodeID, message: RaftMessage<T>)> = []
    @usableFromInline var electionDeadline: RaftInstant
    /// When the current leader was last heard from (leader stickiness).
    @usableFromInline var lastLeaderContact: RaftInstant?
    /// Set when this node starts campaigning while its vote still names a leader (a pre-vote
    /// leaves the vote as it is): it gave up on that leader, so it names none until a leader
    /// is heard from again. A node that cannot reach a quorum would otherwise keep pointing
    /// clients at a leader it has not heard from in many election timeouts.
    @usableFromInline var leaderPresumedLost = false
    @usableFromInline var highestTermSeen: Term
    @usableFromInline var nextRPCID: UInt64 = 1
    @usableFromInline var nextReadID: ReadID = 1
    @usableFromInline var applyRead: (id: ReadID, range: Range<LogIndex>)?
    @usableFromInline var snapshotBuildInProgress = false
    @usableFromInline var snapshotInstall: (meta: SnapshotMeta<T>, from: NodeID, rpcID: UInt64)?
    /// Reads confirmed by a quorum, served once `applied` reaches their log id.
    @usableFromInline var readsAwaitingApply: Deque<PendingRead> = []
    /// A transfer this node started as leader, waiting to learn whether the target won.
    @usableFromInline var transferAwaitingOutcome: LeaderTransfer?
    @usableFromInline var committedSaved: LogID?
    /// A peer's report that this node was removed, holding campaigns back (Engine+Removal).
    @usableFromInline var removalNotice: RemovalNotice?
    /// Until when this learner may campaign: a candidate with an older log asked it for a vote
    /// (Engine+LearnerElection).
    @usableFromInline var learnerCampaignAllowedUntil: RaftInstant?
    /// When false the node never starts an election (for tests and maintenance).
    public var electionEnabled = true
    /// When false a leader sends no periodic heartbeats (for tests).
    public var heartbeatEnabled = true
    /// Deliberate bugs for simulator self-tests; always empty outside tests.
    @usableFromInline package var testingFaults: EngineTestingFaults = []

    @usableFromInline var output: [EngineCommand<T>] = []

    // MARK: Read-only views (stored as `_name` so inlinable engine code can set them)

    /// The validated configuration.
    @inlinable public var config: EngineConfig { _config }
    /// The latest instant passed to ``tick(now:)``.
    @inlinable public var now: RaftInstant { _now }
    /// The vote as accepted; it becomes durable through a `saveVote` command.
    @inlinable public var vote: Vote { _vote }
    /// The last entry known committed.
    @inlinable public var committed: LogID? { _committed }
    /// The last entry the state machine confirmed applied.
    @inlinable public var applied: LogID? { _applied }
    /// The newest snapshot built or installed.
    @inlinable public var snapshot: SnapshotMeta<T>? { _snapshot }
    /// True while the node may not vote or campaign (it lost acknowledged state).
    @inlinable public var votingSuspended: Bool { _votingSuspended }

    /// Creates the engine of node `id` from what it recovered from storage.
    ///
    /// - Parameters:
    ///   - id: this node's id.
    ///   - config: the engine's settings; an invalid one stops the process (validate first).
    ///   - recovered: the vote, log, commit point, snapshot and membership read from storage.
    ///   - now: the current time, from which the first election timeout counts.
    ///   - randomSeed: seeds the randomized election timeouts.
    @inlinable public init(id: NodeID, config: EngineConfig, recovered: RecoveredState<T>, now: RaftInstant, randomSeed: UInt64) {
        if let error = config.validate() { preconditionFailure(error.description) }
        self.id = id
        self._config = config
        self.random = SplitMix64(seed: randomSeed ^ (id &* 0x9E37_79B9_7F4A_7C15))
        // Request ids start at a random point so answers meant for an earlier incarnation of
        // this node are not taken for answers to the new one's requests.
        self.nextRPCID = (random.next() >> 12) + 1
        self._now = now
        self._vote = recovered.vote
        self.highestTermSeen = recovered.vote.term
        self._votingSuspended = recovered.votingSuspended
        self._snapshot = recovered.snapshot
        self.electionDeadline = now
        self.log = LogIDList(purged: recovered.lastPurgedLogID, runStarts: recovered.logRunStarts, last: recovered.lastLogID)
        self.cache = EntryCache(nextIndex: log.lastIndex + 1)
        self._applied = recovered.lastApplied
        self.applySubmitted = recovered.lastApplied
        self._committed = maxLogID(recovered.committed, recovered.lastApplied)
        self.committedSaved = recovered.committed
        self.membership = MembershipState(committed: recovered.appliedMembership, uncommitted: recovered.membershipsAfterApplied)
        self.membership.commit(upTo: committed.indexOrZero)
        self.io.durableLogID = log.last
        reconcileRecoveredLog(recovered)
        // A restarted node does not know how recently its leader was alive: it assumes just
        // now, so it cannot help elect a new leader while the old one may still hold a lease.
        if vote.committed && vote.votedFor != id { lastLeaderContact = now }
        resetElectionDeadline()
        triggerApplyIfNeeded()
    }

    /// Makes the recovered log consistent with the state machine: a log that ends before, or
    /// disagrees at, the applied entry is replaced by "purged up to applied".
    @inlinable mutating func reconcileRecoveredLog(_ recovered: RecoveredState<T>) {
        let floor = maxLogID(applied, snapshot?.lastLogID)
        if let floor, log.logID(at: floor.index) != floor, floor.index > log.purgedIndex || log.purged != floor {
            replaceLog(bySnapshotAt: floor)
            io.durableLogID = floor
            membership.truncate(after: floor.index)
        }
        if committed.indexOrZero > log.lastIndex { _committed = log.last }
        // The cache must end at the last entry, so it starts where the usable tail does (it
        // used to start past the last entry, which kept every tail entry out of it).
        let tail = recovered.tailEntries.filter { $0.index > log.purgedIndex && log.contains($0.logID) }
        if let first = tail.first, tail.last?.index == log.lastIndex, LogIndex(tail.count) == log.lastIndex - first.index + 1 {
            cache.reset(nextIndex: first.index)
            for entry in tail { cache.append(entry) }
        }
    }

    // MARK: Reading state

    /// The node's role as the outside world sees it.
    @inlinable public var serverState: ServerState {
        switch role {
        case .leader: return .leader
        case .candidate: return .candidate
        case .preCandidate, .follower: return isVoter ? .follower : .learner
        }
    }

    /// Whether this node leads.
    @inlinable public var isLeader: Bool { role == .leader }

    /// The leader this node currently follows (itself when leading), if known.
    @inlinable public var currentLeader: NodeID? {
        guard vote.committed, let votedFor = vote.votedFor, !leaderPresumedLost else { return nil }
        if votedFor == id && role != .leader { return nil }
        return votedFor
    }

    /// The id of the last entry in the log.
    @inlinable public var lastLogID: LogID? { log.last }
    /// The id of the last entry removed by compaction.
    @inlinable public var lastPurgedLogID: LogID? { log.purged }
    /// The longest prefix of the log known durable on this node.
    @inlinable public var durableLogID: LogID? { io.durableLogID }
    /// The newest membership in the log, committed or not; it is in force.
    @inlinable public var effectiveMembership: StoredMembership<T> { membership.effective }
    /// The newest committed membership.
    @inlinable public var committedMembership: StoredMembership<T> { membership.committed }
    /// Whether this node votes in the effective membership.
    @inlinable public var isVoter: Bool { membership.effective.config.isVoter(id) }
    /// Whether the node has a log or a vote (so `initialize` would be refused).
    @inlinable public var isInitialized: Bool { log.last != nil || vote != .initial }
    /// This node's leadership while it leads.
    @inlinable public var leaderID: LeaderID? { leader?.leaderID }

    /// The id of the entry at `index`, if the log holds it.
    @inlinable public func logID(at index: LogIndex) -> LogID? { log.logID(at: index) }

    /// Per-peer replication state, for metrics (leader only).
    @inlinable public var replication: [NodeID: ReplicationStatus] {
        guard leader != nil else { return [:] }
        return leader!.progress.mapValues { ReplicationStatus(matched: $0.matched, mode: $0.mode.publicMode, lastAcknowledged: $0.lastAckSentAt) }
    }

    /// Whether ``replication`` would equal `statuses`, answered without building it: the node
    /// loop asks every turn, and replication rarely changes on a follower.
    @inlinable public func replicationEquals(_ statuses: [NodeID: ReplicationStatus]) -> Bool {
        guard leader != nil else { return statuses.isEmpty }
        guard leader!.progress.count == statuses.count else { return false }
        for (peer, progress) in leader!.progress {
            guard let status = statuses[peer], status.matched == progress.matched, status.mode == progress.mode.publicMode,
                status.lastAcknowledged == progress.lastAckSentAt
            else { return false }
        }
        return true
    }

    /// The instant by which ``tick(now:)`` must be called next, nil when no timer is armed.
    @inlinable public var nextDeadline: RaftInstant? {
        var deadline: RaftInstant?
        func consider(_ instant: RaftInstant) { if deadline == nil || instant < deadline! { deadline = instant } }
        switch role {
        case .leader:
            // Reads through `leader!` rather than `guard let leader`, which copies the whole
            // leader state (retaining every buffer in it): this runs every loop turn.
            guard leader != nil else { break }
            if heartbeatEnabled { consider(leader!.heartbeatDeadline) }
            if config.checkQuorum { consider(checkQuorumDeadlineFloor) }
            if let deadline = leader!.transfer?.deadline { consider(deadline) }
            for progress in leader!.progress.values where progress.retryAfter > now { consider(progress.retryAfter) }
        case .follower, .preCandidate, .candidate:
            if canCampaign || (campaign != nil && !isElectable) {
                consider(electionDeadline)
            } else if isHeldBackByRemovalNotice, let expiry = removalNoticeExpiry {
                consider(expiry)
            }
            if let transfer = transferAwaitingOutcome { consider(transfer.deadline) }
        }
        return deadline
    }

    // MARK: Output

    /// Finishes the current step and hands over every command produced since the last call.
    /// Replication messages are formed here, so many proposals in one step share one message
    /// per peer.
    @inlinable public mutating func takeCommands() -> [EngineCommand<T>] {
        var commands: [EngineCommand<T>] = []
        takeCommands(into: &commands)
        if output.capacity == 0 { output.reserveCapacity(16) }
        return commands
    }

    /// Like ``takeCommands()``, but trades buffers with the caller: the commands replace the
    /// contents of `buffer`, whose storage the engine keeps for the next step's commands. A
    /// caller that empties `buffer` with `removeAll(keepingCapacity: true)` after executing
    /// them makes steps allocate no command buffer at all.
    @inlinable public mutating func takeCommands(into buffer: inout [EngineCommand<T>]) {
        if role == .leader { pumpReplication() }
        saveCommittedIfChanged()
        checkInvariants()
        openAppend = nil
        buffer.removeAll(keepingCapacity: true)
        // A step without commands keeps the buffer for the next one.
        guard !output.isEmpty else { return }
        swap(&output, &buffer)
    }

    /// Relations between the engine's own fields that hold after every step, whatever the
    /// input. Preconditions stay on in release builds: a violation means a bug, and carrying
    /// on could break safety.
    @inlinable func checkInvariants() {
        // A deliberately broken engine breaks these first; the simulator must catch it instead.
        guard testingFaults.isEmpty else { return }
        precondition(log.purgedIndex <= log.lastIndex, "purged beyond the last entry")
        precondition(committed.indexOrZero <= log.lastIndex, "committed beyond the last entry")
        precondition(applied.indexOrZero <= applySubmitted.indexOrZero, "applied beyond what was handed to the state machine")
        precondition(applySubmitted.indexOrZero <= committed.indexOrZero, "handed uncommitted entries to the state machine")
        precondition(applySubmitted.indexOrZero <= max(io.durableLogID.indexOrZero, log.purgedIndex), "applied an entry not durable here")
        precondition(cache.isEmpty || cache.endIndex == log.lastIndex + 1, "the entry cache must end at the last entry")
        precondition((role == .leader) == (leader != nil), "leader state exists exactly when leading")
        precondition(role != .leader || vote == Vote.leader(leader!.leaderID), "a leader holds its own committed vote")
        precondition(membership.effective.logID.indexOrZero <= log.lastIndex, "effective membership beyond the log")
    }

    @inlinable mutating func nextRPC() -> UInt64 {
        defer { nextRPCID += 1 }
        return nextRPCID
    }

    @inlinable mutating func emitEvent(_ event: EngineEvent) { output.append(.event(event)) }

    @inlinable mutating func saveCommittedIfChanged() {
        if let committed, committed != committedSaved {
            committedSaved = committed
            output.append(.saveCommitted(committed))
        }
    }

    // MARK: Time

    /// Advances the engine's clock and fires every timer that is due.
    @inlinable public mutating func tick(now newNow: RaftInstant) {
        if newNow > now { _now = newNow }
        switch role {
        case .leader:
            leaderTick()
        case .follower, .preCandidate, .candidate:
            settleTransfer(newLeader: nil)
            if canCampaign && now >= electionDeadline {
                startCampaign(leadershipTransfer: false)
            } else if campaign != nil && !isElectable && now >= electionDeadline {
                // A learner's campaign outlived the window that allowed it.
                abandonCampaign()
            }
        }
    }

    @inlinable mutating func resetElectionDeadline() {
        let low = config.electionTimeoutMin.nanosecondsClamped
        let high = config.electionTimeoutMax.nanosecondsClamped
        let value = UInt64.random(in: low..<high, using: &random)
        electionDeadline = now + .nanoseconds(Int64(value))
    }

    /// Whether this node may start elections now.
    @inlinable var canCampaign: Bool {
        electionEnabled && !votingSuspended && isElectable && role != .leader && !isHeldBackByRemovalNotice
    }

    /// A voter of the effective membership, or of the committed one while a newer membership
    /// that drops this node is not committed yet. Without the latter, a cluster whose leader
    /// died after appending the final configuration of a joint change can deadlock: the nodes
    /// holding that entry see themselves as learners, and the remaining voters cannot win
    /// without their votes. Joint consensus keeps this safe: every quorum of the committed
    /// joint configuration meets every quorum of its final one. A learner is electable for a
    /// while when a candidate needs its newer log (Engine+LearnerElection).
    @inlinable var isElectable: Bool {
        if isVoter || membership.committed.config.isVoter(id) || mayCampaignAsLearner { return true }
        return testingFaults.contains(.learnerCampaignsAsVoter) && membership.effective.config.learners.contains(id)
    }

    // MARK: Operator switches

    /// Lets a node that lost acknowledged state vote and campaign again. Call only once the
    /// node has been re-admitted (removed and re-added) or its data verified, see
    /// `RecoveredState.votingSuspended`.
    @inlinable public mutating func resumeVoting() {
        _votingSuspended = false
        resetElectionDeadline()
    }
}

/// What a leader reports about replication to one peer.
public struct ReplicationStatus: Hashable, Sendable, Codable {
    /// How the leader replicates to the peer.
    public enum Mode: String, Hashable, Sendable, Codable {
        /// Finding where the follower's log matches the leader's, one message at a time.
        case probe
        /// Streaming entries, pipelined within the in-flight limits.
        case replicate
        /// Sending a snapshot.
        case snapshot
    }
    /// The highest entry known durable on the peer.
    public var matched: LogID?
    /// How the leader replicates to it.
    public var mode: Mode
    /// When the newest request the peer acknowledged was sent.
    public var lastAcknowledged: RaftInstant?

    @inlinable init(matched: LogID? = nil, mode: Mode, lastAcknowledged: RaftInstant? = nil) {
        self.matched = matched
        self.mode = mode
        self.lastAcknowledged = lastAcknowledged
    }
}

extension Progress.Mode {
    @inlinable var publicMode: ReplicationStatus.Mode {
        switch self {
        case .probe: return .probe
        case .replicate: return .replicate
        case .snapshot: return .snapshot
        }
    }
}
