import Foundation
import Logging
import Raft
import RaftCore
import RaftFileStore

/// What a benchmark client writes to: a started cluster of one shape.
///
/// A write returns once the command is committed and applied on the leader. Shapes that run
/// elsewhere (`tcp`: nodes in their own processes; `disk`: a durable store) only need to
/// provide this and a way to stop.
protocol BenchCluster: Sendable {
    /// Writes one command.
    func write(_ command: UInt64) async throws
    /// Writes several commands with one call (`writeMany`).
    func writeMany(_ commands: [UInt64]) async throws
    /// Stops every node of the cluster.
    func shutdown() async
    /// Stops every node but the leader (to check that a run whose cluster dies ends).
    func stopFollowers() async
    /// Where client tasks should run (nil: the global pool).
    var clientExecutor: (any TaskExecutor)? { get }
}

/// Settings every shape takes from the command line.
struct ClusterOptions: Sendable {
    var snapshotEvery: UInt64
    var logsKeptAfterSnapshot: UInt64
    /// Threads (`RaftThreadExecutor`s) the nodes run on, node i on thread (i - 1) mod n and
    /// the clients on the first; 0 runs everything on the global concurrent pool.
    var threads: Int
    /// Where the `disk` shape creates its log directories.
    var directory: String
    /// tcp shapes: each node's loop runs on the event loop of its server and transport.
    var nioLoops = false

    /// The node configuration of the in-process shapes: openraft's bench uses long election
    /// timeouts (200–2000 ms) so a 2-core machine busy with clients never holds an election.
    func raftConfig() -> RaftConfig {
        var config = RaftConfig()
        config.engine.heartbeatInterval = .milliseconds(100)
        config.engine.electionTimeoutMin = .milliseconds(1000)
        config.engine.electionTimeoutMax = .milliseconds(2000)
        config.engine.leaseDuration = .milliseconds(500)
        config.engine.snapshotPolicy = .everyAppliedEntries(snapshotEvery)
        config.engine.logsKeptAfterSnapshot = logsKeptAfterSnapshot
        // openraft's bench purges in batches of 1024 too.
        config.engine.purgeBatchSize = 1024
        config.rpcTimeout = .seconds(2)
        return config
    }
}

/// The cluster shapes.
enum Shape: String, CaseIterable, Sendable {
    /// openraft's `bench_cluster_of_3`: 3 voters in one process, in-memory log and state
    /// machine, RPCs as direct calls; every client write is one `write`.
    case inmem
    /// The same cluster; every client call is one `writeMany` of `--batch` commands.
    case inmemBatch = "inmem-batch"
    /// The `inmem` cluster with every RPC over loopback TCP: each node has its own
    /// `RaftNIOServer` on 127.0.0.1 and its own `RaftNIOTransport`.
    case tcp
    /// The `tcp` cluster with each node's log in a `FileLogStore`, as in `disk`.
    case tcpDisk = "tcp-disk"
    /// The `inmem` cluster with each node's log in a `FileLogStore` (fsync per group commit)
    /// under a fresh directory in `--directory`.
    case disk

    var usesBatches: Bool { self == .inmemBatch }

    func startCluster(_ options: ClusterOptions) async throws -> any BenchCluster {
        switch self {
        case .inmem, .inmemBatch:
            return try await LocalCluster.start(options) { _ in (MemoryLogStore<BenchTypes>(), BenchStateMachine()) }
        case .disk:
            let root = Self.scratchDirectory(options)
            let cluster = try await LocalCluster.start(options) { id throws(StorageError) in try Self.durableStores(id, in: root) }
            // The nodes close their stores when they stop.
            cluster.cleanUp = { try? FileManager.default.removeItem(atPath: root) }
            return cluster
        case .tcp:
            return try await TCPCluster.start(options) { _ in (MemoryLogStore<BenchTypes>(), BenchStateMachine()) }
        case .tcpDisk:
            let root = Self.scratchDirectory(options)
            let cluster = try await TCPCluster.start(options) { id throws(StorageError) in try Self.durableStores(id, in: root) }
            cluster.cleanUp = { try? FileManager.default.removeItem(atPath: root) }
            return cluster
        }
    }

    /// What an application on disk runs: a durable log, and snapshots kept on disk so the log
    /// may be purged. The nodes close them when they stop.
    static func durableStores(_ id: NodeID, in root: String) throws(StorageError) -> (FileLogStore<BenchTypes>, DurableSnapshotStateMachine<BenchStateMachine>) {
        let directory = (root as NSString).appendingPathComponent("node-\(id)")
        return (
            try FileLogStore<BenchTypes>(directory: (directory as NSString).appendingPathComponent("log")),
            try DurableSnapshotStateMachine(BenchStateMachine(), directory: (directory as NSString).appendingPathComponent("snapshots")))
    }

    /// A fresh directory for one run's logs, removed when the cluster shuts down.
    static func scratchDirectory(_ options: ClusterOptions) -> String {
        (options.directory as NSString).appendingPathComponent("raft-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }
}

/// A cluster of nodes in this process whose clients all write to one leader, node 1.
protocol SingleLeaderCluster: BenchCluster {
    var nodes: [RaftNode<BenchTypes>] { get }
    var leader: RaftNode<BenchTypes> { get }
}

extension SingleLeaderCluster {
    func write(_ command: UInt64) async throws {
        _ = try await leader.write(command)
    }

    func writeMany(_ commands: [UInt64]) async throws {
        for result in await leader.writeMany(commands) { _ = try result.get() }
    }

    func stopFollowers() async {
        for node in nodes where node.id != leader.id { await node.shutdown() }
    }
}

/// Initializes node 1 with every node as a voter (it campaigns at once), waits for it to
/// lead, and commits one warm-up write on every node; returns the leader.
func formCluster(_ nodes: [RaftNode<BenchTypes>]) async throws -> RaftNode<BenchTypes> {
    try await nodes[0].initialize(Membership(voters: Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.id) })))
    let leader = nodes[0]
    try await leader.wait(until: MetricsCondition("leading with an entry of its term committed") { metrics in
        metrics.isLeader && metrics.committed?.term == metrics.currentTerm
    }, timeout: .seconds(10))
    _ = try await leader.write(0)
    let warmUp = leader.metrics.appliedIndex
    for node in nodes { try await node.wait(until: .appliedIndex(atLeast: warmUp), timeout: .seconds(10)) }
    return leader
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Three voters in this process with the shape's log store and state machine (a
/// `BenchStateMachine`, possibly wrapped) and `DirectNetwork`.
final class LocalCluster<Log: RaftLogStorage<BenchTypes>, Machine: RaftStateMachine<BenchTypes>>: SingleLeaderCluster, @unchecked Sendable {
    let nodes: [RaftNode<BenchTypes>]
    let leader: RaftNode<BenchTypes>
    let executors: [RaftThreadExecutor]
    /// Run after the nodes stop (closing files, removing directories); set once, before use.
    var cleanUp: @Sendable () async -> Void = {}

    private init(nodes: [RaftNode<BenchTypes>], leader: RaftNode<BenchTypes>, executors: [RaftThreadExecutor]) {
        self.nodes = nodes
        self.leader = leader
        self.executors = executors
    }

    var clientExecutor: (any TaskExecutor)? { executors.first }

    /// Starts the nodes, elects node 1, and commits one warm-up write everywhere.
    static func start(_ options: ClusterOptions, stores: (NodeID) throws(StorageError) -> (Log, Machine)) async throws -> LocalCluster {
        let hub = DirectHub<BenchTypes>()
        var logger = Logger(label: "raft-bench")
        logger.logLevel = .warning
        let ids: [NodeID] = [1, 2, 3]
        var nodes: [RaftNode<BenchTypes>] = []
        let executors = (0..<options.threads).map { _ in RaftThreadExecutor() }
        for id in ids {
            let (log, stateMachine) = try stores(id)
            let node = try await RaftNode.start(
                id: id, config: options.raftConfig(), logStore: log,
                stateMachine: stateMachine, network: DirectNetwork(hub: hub), logger: logger, randomSeed: id,
                executor: executors.isEmpty ? nil : executors[Int(id - 1) % executors.count])
            hub.register(node)
            nodes.append(node)
        }
        return LocalCluster(nodes: nodes, leader: try await formCluster(nodes), executors: executors)
    }

    func shutdown() async {
        for node in nodes { await node.shutdown() }
        for executor in executors { executor.shutdown() }
        await cleanUp()
    }
}
