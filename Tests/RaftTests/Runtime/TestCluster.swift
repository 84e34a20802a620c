import Raft
import RaftTesting
import Testing

/// A cluster of real `RaftNode`s over an in-process router, with the in-memory stores.
///
/// Its router sends appends and votes without waiting (as socket transports do); the file
/// store, slow-component and field-lesson suites keep the router's default, so the runtime's
/// per-peer lanes are exercised too.
actor TestCluster {
    let router = InProcessRouter<KVTypes>(sendsWithoutWaiting: true)
    let config: RaftConfig
    private(set) var nodes: [NodeID: RaftNode<KVTypes>] = [:]
    private(set) var logStores: [NodeID: MemoryLogStore<KVTypes>] = [:]
    private(set) var stateMachines: [NodeID: MemoryKVStateMachine] = [:]

    /// Where every node's loop runs (nil: the global pool).
    let executor: (any TaskExecutor)?

    init(config: RaftConfig = TestCluster.fastConfig(), executor: (any TaskExecutor)? = nil) {
        self.config = config
        self.executor = executor
    }

    /// Timeouts generous enough for many clusters sharing two busy cores in one test run.
    static func fastConfig(_ change: (inout RaftConfig) -> Void = { _ in }) -> RaftConfig {
        var config = RaftConfig()
        config.engine.heartbeatInterval = .milliseconds(50)
        config.engine.electionTimeoutMin = .milliseconds(600)
        config.engine.electionTimeoutMax = .milliseconds(1200)
        config.engine.leaseDuration = .milliseconds(500)
        config.engine.snapshotPolicy = .never
        config.rpcTimeout = .milliseconds(500)
        config.snapshotChunkTimeout = .milliseconds(600)
        change(&config)
        return config
    }

    /// Starts `ids`, initializes the first with all of them as voters, and waits for a leader.
    static func started(_ ids: [NodeID], config: RaftConfig = TestCluster.fastConfig(), executor: (any TaskExecutor)? = nil) async throws -> TestCluster {
        let cluster = TestCluster(config: config, executor: executor)
        for id in ids { try await cluster.start(id) }
        try await cluster.node(ids[0]).initialize(Membership(voters: Dictionary(uniqueKeysWithValues: ids.map { ($0, "node-\($0)") })))
        _ = try await cluster.leader()
        return cluster
    }

    /// Starts node `id` from its stores (fresh stores the first time).
    @discardableResult
    func start(_ id: NodeID, config override: RaftConfig? = nil, storageLost: Bool = false, keepStateMachine: Bool = false) async throws -> RaftNode<KVTypes> {
        let logStore = logStores[id] ?? MemoryLogStore<KVTypes>()
        // By default the state machine is volatile: a restart replays the log; a kept one
        // models a durable state machine (with its snapshot).
        let stateMachine = keepStateMachine ? (stateMachines[id] ?? MemoryKVStateMachine()) : MemoryKVStateMachine()
        logStores[id] = logStore
        stateMachines[id] = stateMachine
        let node = try await RaftNode.start(
            id: id, config: override ?? config, logStore: logStore, stateMachine: stateMachine,
            network: router.network(for: id), storageLost: storageLost, randomSeed: id, executor: executor)
        nodes[id] = node
        router.register(node)
        return node
    }

    func stop(_ id: NodeID) async {
        guard let node = nodes.removeValue(forKey: id) else { return }
        router.unregister(id)
        await node.shutdown()
    }

    func restart(_ id: NodeID, keepStateMachine: Bool = false) async throws -> RaftNode<KVTypes> {
        await stop(id)
        return try await start(id, keepStateMachine: keepStateMachine)
    }

    /// Replaces a node's log store with an empty one (a wiped data directory).
    func wipe(_ id: NodeID) { logStores[id] = nil }

    func node(_ id: NodeID) -> RaftNode<KVTypes> { nodes[id]! }

    func stateMachine(_ id: NodeID) -> MemoryKVStateMachine { stateMachines[id]! }

    var runningIDs: [NodeID] { nodes.keys.sorted() }

    /// Waits until exactly one running node (outside `excluding`) leads and has committed an
    /// entry of its own term (so earlier memberships are committed too).
    func leader(excluding: Set<NodeID> = [], timeout: Duration = .seconds(10)) async throws -> RaftNode<KVTypes> {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let candidates = nodes.values.filter { node in
                let metrics = node.metrics
                return !excluding.contains(node.id) && metrics.isLeader && metrics.committed?.term == metrics.currentTerm
            }
            if candidates.count == 1 { return candidates[0] }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ClusterTimeout(what: "a leader")
    }

    /// Writes through whichever node leads, following redirects.
    @discardableResult
    func write(_ command: KVCommand, timeout: Duration = .seconds(10)) async throws -> KVResponse {
        try await writeFollowingRedirects(command, timeout: timeout) { try await self.leader() }
    }

    /// Waits until every running node has applied at least `index`.
    func waitApplied(_ index: LogIndex, nodes ids: [NodeID]? = nil, timeout: Duration = .seconds(10)) async throws {
        for id in ids ?? runningIDs {
            try await nodes[id]!.wait(until: .appliedIndex(atLeast: index), timeout: timeout)
        }
    }

    func shutdownAll() async {
        for id in runningIDs { await stop(id) }
    }
}

struct ClusterTimeout: Error {
    var what: String
}
