@testable import RaftCore

/// One node of a hand-driven cluster: the real engine plus in-memory models of its log store
/// and state machine, executed through `CommandBatch` like the runtime does.
struct ManualNode {
    var engine: TestEngine
    var storedVote: Vote = .initial
    var storedLog: [TestEntry] = []
    var storedPurged: LogID?
    var storedCommitted: LogID?
    /// Log I/O executed but not yet reported durable.
    var unflushedIO: IOID = 0
    var appliedCommands: [(LogID, String)] = []
    var smLastApplied: LogID?
    var smMembership: StoredMembership<TestTypes> = .empty
    var snapshot: (meta: SnapshotMeta<TestTypes>, commands: [(LogID, String)])?
    var replies: [(RequestToken, EngineReply)] = []
    var events: [EngineEvent] = []
    var pendingApply: [[TestEntry]] = []
    /// A snapshot install held back by `ManualCluster.heldSnapshotInstalls`.
    var pendingInstall: SnapshotMeta<TestTypes>?

    var storedLastLogID: LogID? { storedLog.last?.logID ?? storedPurged }

    func storedEntry(at index: LogIndex) -> TestEntry? {
        guard let first = storedLog.first, index >= first.index, index - first.index < storedLog.count else { return nil }
        return storedLog[Int(index - first.index)]
    }
}

/// A cluster of engines whose messages are delivered by hand (or all at once), for readable
/// multi-node scenarios. Time only moves when a test says so.
final class ManualCluster {
    var nodes: [NodeID: ManualNode] = [:]
    /// Messages sent and not yet delivered, in send order.
    var inFlight: [(from: NodeID, to: NodeID, message: RaftMessage<TestTypes>)] = []
    var now = RaftInstant(nanoseconds: 1_000_000_000)
    /// When false, log I/O stays unflushed until `flush(_:)`.
    var autoFlush = true
    /// When false, applies stay pending until `completeApply(_:)`.
    var autoApply = true
    /// Nodes whose messages (both ways) are dropped.
    var isolated: Set<NodeID> = []
    var droppedLinks: Set<[NodeID]> = []
    var snapshotsInTransit: [String: [(LogID, String)]] = [:]
    /// Nodes whose snapshot builds fail: the engine gets `snapshotBuildFailed()` instead.
    var failingSnapshotBuilds: Set<NodeID> = []
    /// Nodes whose snapshot installs wait for `completeSnapshotInstall(_:)`.
    var heldSnapshotInstalls: Set<NodeID> = []
    var delivered: [(from: NodeID, to: NodeID, message: RaftMessage<TestTypes>)] = []
    let config: EngineConfig
    private var snapshotCounter = 0

    init(ids: [NodeID], config: EngineConfig = .testing()) {
        self.config = config
        for id in ids { addNode(id) }
    }

    func addNode(_ id: NodeID, recovered: RecoveredState<TestTypes> = .pristine) {
        nodes[id] = ManualNode(engine: TestEngine(id: id, config: config, recovered: recovered, now: now, randomSeed: 7))
    }

    /// Creates a cluster of `ids` with `leaderID` initialized and elected.
    static func withLeader(_ leaderID: NodeID, ids: [NodeID], config: EngineConfig = .testing()) throws -> ManualCluster {
        let cluster = ManualCluster(ids: ids, config: config)
        try cluster.nodes[leaderID]!.engine.initialize(membership(Set(ids)))
        cluster.stabilize()
        return cluster
    }

    subscript(id: NodeID) -> TestEngine { nodes[id]!.engine }

    func with(_ id: NodeID, _ body: (inout TestEngine) throws -> Void) rethrows {
        try body(&nodes[id]!.engine)
        process(id)
    }

    var leaders: [NodeID] { nodes.keys.sorted().filter { nodes[$0]!.engine.isLeader } }

    // MARK: Executing commands

    /// Takes and executes the node's commands until it has none left.
    func process(_ id: NodeID) {
        for _ in 0..<1000 {
            let commands = nodes[id]!.engine.takeCommands()
            if commands.isEmpty { return }
            execute(CommandBatch(commands), on: id)
        }
        preconditionFailure("node \(id) keeps producing commands")
    }

    func processAll() { for id in nodes.keys.sorted() { process(id) } }

    private func execute(_ batch: CommandBatch<TestTypes>, on id: NodeID) {
        var node = nodes[id]!
        for (write, ioID) in batch.logWrites {
            switch write {
            case .saveVote(let vote): node.storedVote = vote
            case .append(let entries):
                precondition(entries.first!.index == node.storedLastLogID.indexOrZero + 1, "store received a gap")
                node.storedLog.append(contentsOf: entries)
            case .truncate(let after):
                // The storage contract (and every store) refuses to truncate purged entries.
                precondition(after.indexOrZero >= node.storedPurged.indexOrZero, "store received a truncation below its purge point")
                node.storedLog.removeAll { $0.index > after.indexOrZero }
            case .purge(let upTo):
                node.storedLog.removeAll { $0.index <= upTo.index }
                node.storedPurged = upTo
            }
            node.unflushedIO = ioID
        }
        if let committed = batch.committed { node.storedCommitted = committed }
        for (to, message) in batch.messages { inFlight.append((id, to, message)) }
        for (to, request) in batch.snapshotTransfers {
            snapshotsInTransit[request.meta.snapshotID] = node.snapshot?.commands
            inFlight.append((id, to, .installSnapshot(request)))
        }
        node.replies += batch.replies
        node.events += batch.events
        nodes[id] = node
        for (readID, range) in batch.reads {
            let entries = range.compactMap { nodes[id]!.storedEntry(at: $0) }
            nodes[id]!.engine.entriesRead(id: readID, entries: entries)
        }
        for work in batch.stateMachineWork { runStateMachine(work, on: id) }
        if autoFlush { flush(id, process: false) }
        if autoApply { completeApply(id, process: false) }
    }

    private func runStateMachine(_ work: CommandBatch<TestTypes>.StateMachineWork, on id: NodeID) {
        switch work {
        case .apply(let entries):
            nodes[id]!.pendingApply.append(entries)
        case .buildSnapshot:
            if failingSnapshotBuilds.contains(id) {
                nodes[id]!.engine.snapshotBuildFailed()
                return
            }
            completeApply(id, process: false)
            snapshotCounter += 1
            let node = nodes[id]!
            let meta = SnapshotMeta(lastLogID: node.smLastApplied, lastMembership: node.smMembership, snapshotID: "s\(id)-\(snapshotCounter)")
            nodes[id]!.snapshot = (meta, node.appliedCommands)
            nodes[id]!.engine.snapshotBuilt(meta)
        case .installSnapshot(let meta):
            if heldSnapshotInstalls.contains(id) {
                nodes[id]!.pendingInstall = meta
                return
            }
            completeApply(id, process: false)
            installInModel(meta, on: id)
        }
    }

    /// Replaces the state machine model's state with the snapshot and tells the engine.
    func installInModel(_ meta: SnapshotMeta<TestTypes>, on id: NodeID) {
        let commands = snapshotsInTransit[meta.snapshotID] ?? []
        nodes[id]!.appliedCommands = commands
        nodes[id]!.smLastApplied = meta.lastLogID
        nodes[id]!.smMembership = meta.lastMembership
        nodes[id]!.snapshot = (meta, commands)
        nodes[id]!.engine.snapshotInstalled(meta)
    }

    /// Reports every executed log I/O of `id` durable.
    func flush(_ id: NodeID, process shouldProcess: Bool = true) {
        let ioID = nodes[id]!.unflushedIO
        if ioID > 0 { nodes[id]!.engine.logIOFlushed(upTo: ioID) }
        if shouldProcess { process(id) }
    }

    /// Applies every pending apply batch of `id` to its state machine model.
    func completeApply(_ id: NodeID, process shouldProcess: Bool = true) {
        while !nodes[id]!.pendingApply.isEmpty {
            let entries = nodes[id]!.pendingApply.removeFirst()
            for entry in entries {
                precondition(logIDLess(nodes[id]!.smLastApplied, entry.logID), "apply must move forward")
                switch entry.payload {
                case .command(let command): nodes[id]!.appliedCommands.append((entry.logID, command))
                case .membership(let m): nodes[id]!.smMembership = StoredMembership(logID: entry.logID, membership: m)
                case .blank: break
                }
                nodes[id]!.smLastApplied = entry.logID
            }
            nodes[id]!.engine.applied(upTo: entries.last!.logID)
        }
        if shouldProcess { process(id) }
    }

    // MARK: Network

    func isDropped(from: NodeID, to: NodeID) -> Bool {
        isolated.contains(from) || isolated.contains(to) || droppedLinks.contains([from, to])
    }

    /// Delivers the messages in flight now (not those they cause), in order.
    @discardableResult
    func deliverRound(where predicate: (NodeID, NodeID, RaftMessage<TestTypes>) -> Bool = { _, _, _ in true }) -> Int {
        let batch = inFlight
        inFlight = []
        var count = 0
        for item in batch {
            guard predicate(item.from, item.to, item.message) else { inFlight.append(item); continue }
            if isDropped(from: item.from, to: item.to) || nodes[item.to] == nil { continue }
            delivered.append(item)
            nodes[item.to]!.engine.receive(item.message, from: item.from)
            process(item.to)
            count += 1
        }
        return count
    }

    /// Delivers until no message is in flight.
    func stabilize(maxRounds: Int = 200) {
        processAll()
        for _ in 0..<maxRounds {
            if inFlight.isEmpty { return }
            deliverRound()
        }
        preconditionFailure("cluster did not stabilize")
    }

    /// Advances the clock of every node by `duration` and fires their timers.
    func advance(by duration: Duration) {
        now = now + duration
        for id in nodes.keys.sorted() {
            nodes[id]!.engine.tick(now: now)
            process(id)
        }
    }

    /// Advances time in heartbeat-sized steps, delivering messages in between.
    func run(for duration: Duration, step: Duration = .milliseconds(10)) {
        var elapsed = Duration.zero
        while elapsed < duration {
            advance(by: step)
            stabilize()
            elapsed += step
        }
    }

    // MARK: Helpers

    @discardableResult
    func propose(_ commands: [String], on id: NodeID) throws -> LogID? {
        var first: LogID?
        try with(id) { first = try $0.propose(commands) }
        return first
    }

    func appliedCommands(_ id: NodeID) -> [String] { nodes[id]!.appliedCommands.map(\.1) }
}
