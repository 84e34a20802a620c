import Foundation
import Logging
import Raft
import RaftFileStore
import RaftNIO
import RaftTesting
import Synchronization
import Testing

/// Where each node's transport dials each peer: the peer's own server by default, or a
/// test's proxy in between.
final class Routes: Sendable {
    private let table = Mutex<[[NodeID]: PeerAddress]>([:])

    func route(from: NodeID, to: NodeID, via address: PeerAddress) { table.withLock { $0[[from, to]] = address } }
    func address(from: NodeID, to: NodeID) -> PeerAddress? { table.withLock { $0[[from, to]] } }
}

/// A cluster of real `RaftNode`s, each with its own `RaftNIOServer` on 127.0.0.1 (an
/// ephemeral port, kept across restarts) and its own `RaftNIOTransport`.
actor NIOCluster {
    struct Member {
        var server: RaftNIOServer<KVTypes>
        var transport: RaftNIOTransport<KVTypes>
        var port: Int
        var node: RaftNode<KVTypes>?
        var stateMachine = MemoryKVStateMachine()
    }

    let config: RaftConfig
    let nio: RaftNIOConfiguration
    let routes = Routes()
    /// When set, nodes keep their logs in `FileLogStore`s under this directory.
    let directory: String?
    private(set) var members: [NodeID: Member] = [:]
    private var memoryStores: [NodeID: MemoryLogStore<KVTypes>] = [:]
    private var fileStores: [NodeID: FileLogStore<KVTypes>] = [:]

    init(config: RaftConfig = NIOCluster.fastConfig(), nio: RaftNIOConfiguration = RaftNIOConfiguration(clusterID: "test"), durable: Bool = false) {
        self.config = config
        self.nio = nio
        self.directory = durable ? FileManager.default.temporaryDirectory.appendingPathComponent("raft-nio-\(UUID().uuidString)").path : nil
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
        config.snapshotChunkTimeout = .milliseconds(1000)
        config.engine.transferTimeout = .seconds(3)
        change(&config)
        return config
    }

    static var logger: Logger {
        var logger = Logger(label: "raft-nio-test")
        logger.logLevel = .critical
        return logger
    }

    /// Starts `ids`, initializes the first with all of them as voters, and waits for a leader.
    static func started(
        _ ids: [NodeID], config: RaftConfig = NIOCluster.fastConfig(), nio: RaftNIOConfiguration = RaftNIOConfiguration(clusterID: "test"),
        durable: Bool = false
    ) async throws -> NIOCluster {
        let cluster = NIOCluster(config: config, nio: nio, durable: durable)
        for id in ids { try await cluster.add(id) }
        for id in ids { try await cluster.start(id) }
        try await cluster.node(ids[0]).initialize(Membership(voters: await cluster.addresses(ids)))
        _ = try await cluster.leader()
        return cluster
    }

    /// Creates node `id`'s server (listening) and transport, without starting the node.
    func add(_ id: NodeID, nio override: RaftNIOConfiguration? = nil, port: Int = 0) async throws {
        let configuration = override ?? nio
        let server = try RaftNIOServer<KVTypes>(nodeID: id, configuration: configuration, logger: Self.logger)
        let bound = try await server.start(host: "127.0.0.1", port: port)
        let routes = self.routes
        let transport = try RaftNIOTransport<KVTypes>(nodeID: id, configuration: configuration, logger: Self.logger) { peer, address in
            routes.address(from: id, to: peer) ?? address.flatMap(PeerAddress.init)
        }
        members[id] = Member(server: server, transport: transport, port: bound)
    }

    func address(_ id: NodeID) -> String { "127.0.0.1:\(members[id]!.port)" }
    func addresses(_ ids: [NodeID]) -> [NodeID: String] { Dictionary(uniqueKeysWithValues: ids.map { ($0, address($0)) }) }

    /// Starts node `id` from its log store (a fresh one the first time) and serves it.
    @discardableResult
    func start(_ id: NodeID, group: RaftGroupID = 0) async throws -> RaftNode<KVTypes> {
        let member = members[id]!
        let node: RaftNode<KVTypes>
        let machine = MemoryKVStateMachine()
        if let directory {
            let store = try FileLogStore<KVTypes>(directory: "\(directory)/node-\(id)")
            fileStores[id] = store
            node = try await RaftNode.start(
                id: id, config: config, logStore: store, stateMachine: machine, network: member.transport.network(group: group),
                logger: Self.logger, randomSeed: id)
        } else {
            let store = memoryStores[id] ?? MemoryLogStore<KVTypes>()
            memoryStores[id] = store
            node = try await RaftNode.start(
                id: id, config: config, logStore: store, stateMachine: machine, network: member.transport.network(group: group),
                logger: Self.logger, randomSeed: id)
        }
        member.server.serve(node, group: group)
        members[id]!.node = node
        members[id]!.stateMachine = machine
        return node
    }

    /// Stops node `id`: its server (listener and connections), its node and its transport.
    func kill(_ id: NodeID) async {
        guard let member = members[id] else { return }
        await member.server.shutdown()
        await member.node?.shutdown()
        await member.transport.shutdown()
        await fileStores.removeValue(forKey: id)?.close()
        members[id]!.node = nil
    }

    /// Brings a killed node back on its old port, from its log store.
    @discardableResult
    func restart(_ id: NodeID) async throws -> RaftNode<KVTypes> {
        let port = members[id]!.port
        try await add(id, port: port)
        return try await start(id)
    }

    func node(_ id: NodeID) -> RaftNode<KVTypes> { members[id]!.node! }
    func server(_ id: NodeID) -> RaftNIOServer<KVTypes> { members[id]!.server }
    func transport(_ id: NodeID) -> RaftNIOTransport<KVTypes> { members[id]!.transport }
    func stateMachine(_ id: NodeID) -> MemoryKVStateMachine { members[id]!.stateMachine }
    var runningIDs: [NodeID] { members.filter { $0.value.node != nil }.keys.sorted() }
    var runningNodes: [RaftNode<KVTypes>] { runningIDs.map { members[$0]!.node! } }

    /// Waits until exactly one running node (outside `excluding`) leads and has committed an
    /// entry of its own term.
    func leader(excluding: Set<NodeID> = [], timeout: Duration = .seconds(15)) async throws -> RaftNode<KVTypes> {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let candidates = runningNodes.filter { node in
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
    func write(_ command: KVCommand, excluding: Set<NodeID> = [], timeout: Duration = .seconds(15)) async throws -> KVResponse {
        let deadline = ContinuousClock.now + timeout
        while true {
            let leader = try await self.leader(excluding: excluding, timeout: deadline - ContinuousClock.now)
            do {
                return try await leader.write(command)
            } catch {
                // Tests write puts, which are idempotent: an unknown outcome is retried too.
                guard error.isRetryable || error.mayHaveBeenApplied, ContinuousClock.now < deadline else { throw error }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until every running node (or `ids`) has applied at least `index`.
    func waitApplied(_ index: LogIndex, nodes ids: [NodeID]? = nil, timeout: Duration = .seconds(15)) async throws {
        for id in ids ?? runningIDs {
            try await members[id]!.node!.wait(until: .appliedIndex(atLeast: index), timeout: timeout)
        }
    }

    /// Waits until the state machines of `ids` (default: every running node) hold `value` at
    /// `key`. (A write's answer can come before the node's published metrics show its index,
    /// so tests wait for the replicated state itself.)
    func waitForValue(_ value: String, at key: String, on ids: [NodeID]? = nil, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        for id in ids ?? runningIDs {
            while members[id]!.stateMachine.value(forKey: key) != value {
                guard ContinuousClock.now < deadline else { throw ClusterTimeout(what: "\(key)=\(value) on node \(id)") }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    func shutdown() async {
        for id in members.keys.sorted() { await kill(id) }
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

struct ClusterTimeout: Error {
    var what: String
}

/// Writes `command` through whichever of `nodes` leads, following leader changes (a starved
/// test machine can move leadership at any time).
@discardableResult
func writeToLeader(_ nodes: [RaftNode<KVTypes>], _ command: KVCommand) async throws -> KVResponse {
    let deadline = ContinuousClock.now + .seconds(15)
    while true {
        if let leader = nodes.first(where: { $0.metrics.isLeader }) {
            do {
                return try await leader.write(command)
            } catch {
                // Tests write puts, which are idempotent: an unknown outcome is retried too.
                guard error.isRetryable || error.mayHaveBeenApplied, ContinuousClock.now < deadline else { throw error }
            }
        } else if ContinuousClock.now >= deadline {
            throw ClusterTimeout(what: "a leader")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
