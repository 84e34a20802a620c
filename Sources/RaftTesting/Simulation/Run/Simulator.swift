import RaftCore

/// Runs one seeded simulation of a cluster: the real engine on every node, simulated time,
/// network, disks and clients, faults from the seed, and every safety checker after every
/// step. Single-threaded and deterministic: the seed is the whole input.
final class Simulator {
    enum Phase { case faults, healing, done }

    let seed: UInt64
    let options: SimulationOptions
    var random: SimRandom
    var queue = EventQueue<SimEvent>()
    /// Simulated nanoseconds.
    var now: UInt64 = 0
    var steps = 0
    var trace = TraceRecorder()
    var stats = SimulationStats()
    var violation: SimulationViolation?
    var phase: Phase = .faults
    var setup = ""

    let engineConfig: EngineConfig
    var rates: FaultRates
    var network: SimNetwork
    /// Nodes by id − 1.
    var nodes: [SimNode] = []
    let initialVoters: [NodeID]
    var clients: [SimClient] = []
    var history: [RecordedOperation] = []
    var historyClock: UInt64 = 0
    /// Who asked for each engine request token.
    var tokenUses: [RequestToken: TokenUse] = [:]
    var nextToken: RequestToken = 1
    let faultEnd: UInt64
    let livenessDeadline: UInt64
    /// Lease reads are sound only while clocks cannot jump and drift stays within the margin.
    let leaseReadsAllowed: Bool

    // Checkers.
    var electionSafety: ElectionSafetyChecker
    var leaderAppendOnly = LeaderAppendOnlyChecker()
    var logMatching = LogMatchingChecker()
    var commits = CommitTracker()
    var stateMachineSafety = StateMachineSafetyChecker()
    /// The leadership each node was last seen holding, to check completeness once per term.
    var leadershipSeen: [NodeID: (LeaderID, UInt64)] = [:]
    /// The snapshot of an install-snapshot request being delivered with a vote lower than its
    /// receiver's: the receiver must not start installing it.
    var lowerVoteSnapshot: String?
    /// Nodes touched by the current step, checked after it.
    var touched: [NodeID] = []
    var stepNotes: [String] = []

    // Fault atlas: disks that lost acknowledged state, and the term a node's vote must pass
    // before it may vote again.
    var damaged: [Bool]
    var resumeAfterTerm: [Term]
    var partitionGeneration: UInt64 = 0
    var partitionActive = false
    /// The partition generation of the last deposed-leader episode.
    var deposeGeneration: UInt64?

    // Operator.
    /// The nodes `initialize` is called on, with this membership.
    var initializers: [NodeID] = []
    var initialMembership: Membership<SimTypes>?
    var pendingChange: (token: RequestToken, startedAt: UInt64)?
    var pendingTransfer: (token: RequestToken, startedAt: UInt64)?
    var probeClient: Int?

    enum TokenUse {
        case clientRead(ClientRead)
        case membershipChange
        case leaderTransfer
    }

    init(seed: UInt64, options: SimulationOptions) {
        self.seed = seed
        self.options = options
        var random = SimRandom(seed: seed)
        let faults = options.faults
        let totalNodes = faults.contains(.membership) ? max(options.nodeCount, min(7, options.nodeCount + 2)) : options.nodeCount
        initialVoters = (1...NodeID(options.nodeCount)).map { $0 }

        var config = EngineConfig()
        config.leaderIDMode = options.leaderIDMode ?? (random.chance(0.5) ? .advanced : .standard)
        config.preVote = random.chance(0.8)
        config.checkQuorum = random.chance(0.8)
        config.maxEntriesPerMessage = random.pick([1, 3, 16, 1024])
        config.maxInflightMessages = random.pick([1, 2, 8, 64])
        config.maxEntriesPerApply = random.pick([1, 5, 4096])
        config.maxCachedEntries = random.pick([4, 32, 1 << 17])
        if faults.contains(.snapshots) {
            config.snapshotPolicy = .everyAppliedEntries(random.uint(in: 3...80))
            config.logsKeptAfterSnapshot = random.uint(in: 0...12)
            config.purgeBatchSize = random.uint(in: 1...8)
        } else {
            config.snapshotPolicy = .never
        }
        engineConfig = config
        rates = FaultRates(faults: faults, random: &random)
        network = SimNetwork(maxNodeID: totalNodes)
        network.lossProbability = rates.messageLoss
        network.duplicateProbability = rates.messageDuplication
        network.reorderProbability = rates.messageReordering
        network.delayProbability = rates.messageDelay
        leaseReadsAllowed = !faults.contains(.clockJumps)
        electionSafety = ElectionSafetyChecker(mode: config.leaderIDMode)
        damaged = Array(repeating: false, count: totalNodes + 1)
        resumeAfterTerm = Array(repeating: 0, count: totalNodes + 1)
        faultEnd = options.faultDuration.nanosecondsClamped
        livenessDeadline = faultEnd + options.livenessBound.nanosecondsClamped

        for id in 1...NodeID(totalNodes) {
            let clock = SimClock(startLocal: 1_000_000_000_000 + random.uint(in: 0...1_000_000_000_000), global: 0)
            nodes.append(SimNode(id: id, keyCount: options.keyCount, clock: clock))
        }
        self.random = random
        setup = "nodes \(options.nodeCount)/\(totalNodes) faults \(faults) mode \(config.leaderIDMode) preVote \(config.preVote) checkQuorum \(config.checkQuorum) "
            + "msg \(config.maxEntriesPerMessage) inflight \(config.maxInflightMessages) cache \(config.maxCachedEntries) snapshot \(config.snapshotPolicy) "
            + "loss \(Self.percent(rates.messageLoss)) dup \(Self.percent(rates.messageDuplication)) reorder \(Self.percent(rates.messageReordering))"
    }

    static func percent(_ value: Double) -> String { "\(Int((value * 1000).rounded()) / 10)%" }

    func node(_ id: NodeID) -> SimNode { nodes[Int(id) - 1] }

    var allNodeIDs: [NodeID] { nodes.map(\.id) }

    // MARK: Running

    func run() -> SimulationReport {
        start()
        while violation == nil, phase != .done, let (time, event) = queue.pop() {
            now = time
            steps += 1
            touched.removeAll(keepingCapacity: true)
            stepNotes.removeAll(keepingCapacity: true)
            guard let description = handle(event) else {
                steps -= 1
                continue
            }
            checkAfterStep()
            let nodesTouched = touched.isEmpty ? "" : " | " + uniqueTouched().map { node($0).summary }.joined(separator: " ")
            let notes = stepNotes.isEmpty ? "" : " {" + stepNotes.joined(separator: "; ") + "}"
            trace.record("\(now / 1000)us \(description)\(notes)\(nodesTouched)")
            if phase == .faults, let maxSteps = options.maxFaultSteps, steps >= maxSteps { _ = endFaults() }
        }
        if violation == nil, phase != .done {
            violation = SimulationViolation(property: "liveness", detail: "the simulation ran out of events before the cluster recovered")
        }
        if violation == nil { checkLinearizability() }
        stats.committedIndex = commits.committedIndex
        for operation in history {
            switch operation.outcome {
            case .ok: stats.operationsOK += 1
            case .fail: stats.operationsFailed += 1
            case .unknown: stats.operationsUnknown += 1
            }
        }
        return SimulationReport(
            seed: seed, traceHash: trace.hash, steps: steps, simulatedNanoseconds: now, violation: violation,
            recentEvents: trace.recentEvents, stats: stats, setup: setup)
    }

    func schedule(_ event: SimEvent, after delay: UInt64) {
        queue.schedule(event, at: now + delay)
    }

    func uniqueTouched() -> [NodeID] {
        var result: [NodeID] = []
        for id in touched where !result.contains(id) { result.append(id) }
        return result
    }

    func note(_ text: String) { stepNotes.append(text) }

    func fail(_ property: String, _ detail: String) {
        if violation == nil { violation = SimulationViolation(property: property, detail: detail) }
    }

    /// Boots every node, forms the cluster, and schedules the workload and the faults.
    private func start() {
        for node in nodes { restart(node, allowWipe: false) }
        let members = Membership<SimTypes>(
            config: MembershipConfig(voters: Set(initialVoters)),
            addresses: Dictionary(uniqueKeysWithValues: initialVoters.map { ($0, "node-\($0)") }))
        initializers = random.chance(0.5) ? initialVoters : [initialVoters[0]]
        initialMembership = members
        for id in initializers { initialize(node(id)) }
        for index in 0..<options.clientCount {
            clients.append(SimClient(id: index, target: random.pick(initialVoters), keyCount: options.keyCount))
            schedule(.clientWake(client: index, generation: 0), after: random.uint(in: 1_000_000...50_000_000))
        }
        schedule(.nemesis, after: random.uint(in: 0...rates.nemesisIntervalNanos))
        schedule(.operatorStep, after: 10_000_000)
        queue.schedule(.endFaults, at: faultEnd)
        queue.schedule(.livenessDeadline, at: livenessDeadline)
    }

    /// Processes one event; returns its description for the trace, nil if it turned out to
    /// be moot (a timer or deadline that no longer applies), which is neither traced nor
    /// checked.
    private func handle(_ event: SimEvent) -> String? {
        switch event {
        case .deliver(let envelope): return deliver(envelope)
        case let .deliverStale(envelope, attempt): return deliverStale(envelope, attempt: attempt)
        case let .rpcTimeout(id, incarnation, call): return rpcTimedOut(node(id), incarnation: incarnation, call: call)
        case let .tick(id, incarnation, generation): return tick(node(id), incarnation: incarnation, generation: generation)
        case let .diskSync(id, incarnation): return sync(node(id), incarnation: incarnation)
        case let .storageRead(id, incarnation, readID, range): return storageRead(node(id), incarnation: incarnation, readID: readID, range: range)
        case let .stateMachineDone(id, incarnation): return stateMachineDone(node(id), incarnation: incarnation)
        case .restart(let id): return restartEvent(node(id))
        case .clientArrives(let request): return clientRequestArrives(request)
        case .clientHears(let response): return clientHears(response)
        case let .clientWake(client, generation): return clientWake(client, generation: generation)
        case let .clientDeadline(client, operation): return clientDeadline(client, operation: operation)
        case .nemesis: return nemesis()
        case .healPartition(let generation): return healPartition(generation: generation)
        case let .cutLinksFrom(id, generation): return cutLinksFrom(id, generation: generation)
        case .operatorStep: return operatorStep()
        case .endFaults: return endFaults()
        case .livenessDeadline: return livenessDeadlinePassed()
        }
    }
}
