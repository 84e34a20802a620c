@testable import RaftCore

/// Helpers for scenario tests: inspecting what nodes answered and sent, injecting hand-made
/// messages, and restarting a node from what its storage models hold.
extension ManualCluster {
    // MARK: Answers and events

    /// Every reply `id` produced, oldest first.
    func replies(_ id: NodeID) -> [(RequestToken, EngineReply)] { nodes[id]!.replies }

    /// The replies `id` produced for `token`, oldest first.
    func replies(_ id: NodeID, token: RequestToken) -> [EngineReply] {
        nodes[id]!.replies.filter { $0.0 == token }.map(\.1)
    }

    func events(_ id: NodeID) -> [EngineEvent] { nodes[id]!.events }

    // MARK: Messages

    /// Messages in flight, optionally only those of one link.
    func inFlightMessages(from: NodeID? = nil, to: NodeID? = nil) -> [RaftMessage<TestTypes>] {
        inFlight.filter { (from == nil || $0.from == from) && (to == nil || $0.to == to) }.map(\.message)
    }

    /// Removes (loses) in-flight messages matching `predicate`; returns how many.
    @discardableResult
    func dropInFlight(where predicate: (NodeID, NodeID, RaftMessage<TestTypes>) -> Bool) -> Int {
        let before = inFlight.count
        inFlight.removeAll { predicate($0.from, $0.to, $0.message) }
        return before - inFlight.count
    }

    /// Delivers the messages now in flight that match `predicate` (not those they cause), in
    /// order. Unlike `deliverRound(where:)`, the messages left in flight stay ahead of every
    /// message the deliveries cause, so no link reorders its messages.
    @discardableResult
    func deliverOnly(where predicate: (NodeID, NodeID, RaftMessage<TestTypes>) -> Bool) -> Int {
        let batch = inFlight
        inFlight = batch.filter { !predicate($0.from, $0.to, $0.message) }
        var count = 0
        for item in batch where predicate(item.from, item.to, item.message) {
            if isDropped(from: item.from, to: item.to) || nodes[item.to] == nil { continue }
            delivered.append(item)
            nodes[item.to]!.engine.receive(item.message, from: item.from)
            process(item.to)
            count += 1
        }
        return count
    }

    /// Delivers the messages now in flight on one link, in order.
    @discardableResult
    func deliver(from: NodeID, to: NodeID) -> Int {
        deliverOnly { sender, receiver, _ in sender == from && receiver == to }
    }

    /// Hands `message` to `to` as if `from` had sent it, then runs `to`'s commands.
    func inject(_ message: RaftMessage<TestTypes>, from: NodeID, to: NodeID) {
        nodes[to]!.engine.receive(message, from: from)
        process(to)
    }

    /// Messages delivered so far on one link, oldest first.
    func deliveredMessages(from: NodeID, to: NodeID) -> [RaftMessage<TestTypes>] {
        delivered.filter { $0.from == from && $0.to == to }.map(\.message)
    }

    // MARK: Operations

    func changeMembership(
        _ change: MembershipChange<TestTypes>, on id: NodeID, retainRemovedVoters: Bool = false,
        expectedMembershipLogID: LogID?? = nil, token: RequestToken? = nil
    ) throws {
        try with(id) {
            try $0.changeMembership(change, retainRemovedVoters: retainRemovedVoters, expectedMembershipLogID: expectedMembershipLogID, token: token)
        }
    }

    /// The ids of the entries `id`'s log store holds.
    func storedLogIDs(_ id: NodeID) -> [LogID] { nodes[id]!.storedLog.map(\.logID) }

    // MARK: Restart

    /// Rebuilds `id`'s engine from its storage models, as a process restart would. The state
    /// machine model is volatile: it comes back from the node's snapshot (or empty).
    func restart(_ id: NodeID, votingSuspended: Bool = false) {
        var node = nodes[id]!
        node.appliedCommands = node.snapshot?.commands ?? []
        node.smLastApplied = node.snapshot?.meta.lastLogID
        node.smMembership = node.snapshot?.meta.lastMembership ?? .empty
        node.pendingApply = []
        node.pendingInstall = nil
        node.unflushedIO = 0
        var runStarts: [LogID] = []
        for entry in node.storedLog where runStarts.last?.leaderID != entry.logID.leaderID {
            runStarts.append(entry.logID)
        }
        let appliedIndex = node.smLastApplied.indexOrZero
        let later = node.storedLog.filter { $0.index > appliedIndex }.compactMap { entry in
            entry.membership.map { StoredMembership<TestTypes>(logID: entry.logID, membership: $0) }
        }
        let recovered = RecoveredState<TestTypes>(
            vote: node.storedVote, lastPurgedLogID: node.storedPurged, logRunStarts: runStarts,
            lastLogID: node.storedLastLogID, committed: node.storedCommitted, lastApplied: node.smLastApplied,
            appliedMembership: node.smMembership, membershipsAfterApplied: later, snapshot: node.snapshot?.meta,
            tailEntries: node.storedLog, votingSuspended: votingSuspended
        )
        node.engine = TestEngine(id: id, config: config, recovered: recovered, now: now, randomSeed: 7)
        nodes[id] = node
        process(id)
    }

    /// Completes a snapshot install held by `heldSnapshotInstalls`. With
    /// `reportPendingApplies` false, apply batches still pending are executed by the state
    /// machine model first but their completion is not reported to the engine (a late report
    /// is then the test's to make).
    func completeSnapshotInstall(_ id: NodeID, reportPendingApplies: Bool = true) {
        guard let meta = nodes[id]!.pendingInstall else { return }
        nodes[id]!.pendingInstall = nil
        if reportPendingApplies {
            completeApply(id, process: false)
        } else {
            nodes[id]!.pendingApply = []
        }
        installInModel(meta, on: id)
        process(id)
    }
}

extension RaftMessage where T == TestTypes {
    var installSnapshotRequest: InstallSnapshotRequest<TestTypes>? { if case .installSnapshot(let m) = self { return m } else { return nil } }
    var installSnapshotResponse: InstallSnapshotResponse? { if case .installSnapshotResponse(let m) = self { return m } else { return nil } }
    var timeoutNowRequest: TimeoutNowRequest? { if case .timeoutNow(let m) = self { return m } else { return nil } }
    var isAppendWithEntries: Bool { appendRequest.map { !$0.entries.isEmpty } ?? false }
    var isHeartbeat: Bool { appendRequest.map { $0.entries.isEmpty } ?? false }
}

extension ManualCluster {
    /// Delivers messages until none is left that neither comes from nor goes to a node of
    /// `held`; messages of held nodes stay in flight, in order, for a later delivery.
    func stabilize(holding held: Set<NodeID>, maxRounds: Int = 200) {
        stabilize(withholding: { from, to, _ in held.contains(from) || held.contains(to) }, maxRounds: maxRounds)
    }

    /// Delivers messages until only messages matching `withheld` are left in flight.
    func stabilize(withholding withheld: (NodeID, NodeID, RaftMessage<TestTypes>) -> Bool, maxRounds: Int = 200) {
        processAll()
        for _ in 0..<maxRounds {
            if deliverOnly(where: { !withheld($0, $1, $2) }) == 0 { return }
        }
        preconditionFailure("cluster did not stabilize")
    }

    /// Adds pristine nodes and makes them learners through `leader`, then lets them catch up.
    func addLearners(_ ids: [NodeID], via leader: NodeID) throws {
        var addresses: [NodeID: String] = [:]
        for id in ids {
            addNode(id)
            addresses[id] = "node-\(id)"
        }
        try changeMembership(.addLearners(addresses), on: leader)
        stabilize()
    }
}

extension ManualCluster {
    /// Adds node `id` as if it restarted with `log` (and `vote`, `committed`) in its log store.
    func addNode(_ id: NodeID, storedLog log: [TestEntry], vote: Vote, committed: LogID? = nil) {
        addNode(id)
        nodes[id]!.storedLog = log
        nodes[id]!.storedVote = vote
        nodes[id]!.storedCommitted = committed
        restart(id)
    }
}

extension ManualCluster {
    /// Completes only the oldest pending apply batch of `id`.
    func completeFirstApply(_ id: NodeID) {
        let later = Array(nodes[id]!.pendingApply.dropFirst())
        nodes[id]!.pendingApply = Array(nodes[id]!.pendingApply.prefix(1))
        completeApply(id, process: false)
        nodes[id]!.pendingApply = later + nodes[id]!.pendingApply
        process(id)
    }

    /// Builds a snapshot of `id`'s state machine now and purges the log up to it.
    func compact(_ id: NodeID) {
        with(id) { $0.triggerSnapshot() }
        let snapshotIndex = nodes[id]!.engine.snapshot?.lastLogID?.index ?? 0
        with(id) { $0.triggerPurge(upTo: snapshotIndex) }
    }
}

/// Entries for hand-fed logs: `entries(term: 1, leader: 1, 3...5)` are commands "c3".."c5".
func commandEntries(term: Term, leader: NodeID, _ indexes: ClosedRange<LogIndex>) -> [TestEntry] {
    indexes.map { TestEntry(logID: lid(term, leader, $0), payload: .command("c\($0)")) }
}

/// The first two entries `initialize` and the first leader (1, term 1) write: the membership
/// of `voters` and the leader's blank entry.
func bootstrapEntries(_ voters: Set<NodeID> = [1, 2, 3]) -> [TestEntry] {
    [TestEntry(logID: lid(0, 0, 1), payload: .membership(membership(voters))), TestEntry(logID: lid(1, 1, 2), payload: .blank)]
}

/// A request from `leader` of `term`, which must be the receiver's current leader or newer.
func appendRequest(term: Term, leader: NodeID, prev: LogID?, _ entries: [TestEntry], commit: LogID?, rpcID: UInt64 = 900) -> RaftMessage<TestTypes> {
    .appendEntries(AppendEntriesRequest(vote: .leader(LeaderID(term: term, nodeID: leader)), prevLogID: prev, entries: entries, leaderCommit: commit, rpcID: rpcID))
}
