import Foundation
import Logging
import NIOCore
import NIOPosix
import Raft
import RaftCore
import RaftNIO
import Synchronization

/// The benchmark's commands and addresses on the wire: both are `UInt64`s, written as eight
/// bytes (what an application with a fixed-size command would choose over the default coder).
extension BenchTypes: RaftWireTypes {
    static func encodeCommand(_ command: UInt64, into buffer: inout ByteBuffer) throws {
        buffer.writeInteger(command)
    }

    static func decodeCommand(from buffer: inout ByteBuffer) throws -> UInt64 {
        guard buffer.readableBytes == 8, let command = buffer.readInteger(as: UInt64.self) else { throw BenchError("a command is 8 bytes") }
        return command
    }

    static func encodeAddress(_ address: UInt64, into buffer: inout ByteBuffer) throws {
        buffer.writeInteger(address)
    }

    static func decodeAddress(from buffer: inout ByteBuffer) throws -> UInt64 {
        guard buffer.readableBytes == 8, let address = buffer.readInteger(as: UInt64.self) else { throw BenchError("an address is 8 bytes") }
        return address
    }
}

/// Three voters in this process, each with its own `RaftNIOServer` on an ephemeral port of
/// 127.0.0.1 and its own `RaftNIOTransport`: every RPC crosses a real loopback socket.
final class TCPCluster<Log: RaftLogStorage<BenchTypes>, Machine: RaftStateMachine<BenchTypes>>: SingleLeaderCluster, @unchecked Sendable {
    let nodes: [RaftNode<BenchTypes>]
    let leader: RaftNode<BenchTypes>
    let servers: [RaftNIOServer<BenchTypes>]
    let transports: [RaftNIOTransport<BenchTypes>]
    let executors: [any TaskExecutor]
    var cleanUp: @Sendable () async -> Void = {}

    private init(
        nodes: [RaftNode<BenchTypes>], leader: RaftNode<BenchTypes>, servers: [RaftNIOServer<BenchTypes>], transports: [RaftNIOTransport<BenchTypes>],
        executors: [any TaskExecutor]
    ) {
        self.nodes = nodes
        self.leader = leader
        self.servers = servers
        self.transports = transports
        self.executors = executors
    }

    var clientExecutor: (any TaskExecutor)? { executors.first }

    /// Starts the servers and nodes, elects node 1, and commits one warm-up write everywhere.
    static func start(_ options: ClusterOptions, stores: (NodeID) throws(StorageError) -> (Log, Machine)) async throws -> TCPCluster {
        var logger = Logger(label: "raft-bench")
        logger.logLevel = .warning
        let ids: [NodeID] = [1, 2, 3]
        let configuration = RaftNIOConfiguration(clusterID: "raft-bench")
        if let error = configuration.validate(for: options.raftConfig()) { throw BenchError("\(error)") }
        // With --nio-loops, node i, its server and its transport share event loop i of NIO's
        // group (and the clients run on the first); otherwise the nodes run on the global pool
        // (or --threads) and the connections on any of the group's loops.
        let group = MultiThreadedEventLoopGroup.singleton
        let loops: [any EventLoop]? = options.nioLoops ? Array(group.makeIterator()) : nil
        func loop(of id: NodeID) -> any EventLoopGroup {
            guard let loops else { return group }
            return loops[Int(id - 1) % loops.count]
        }
        // Each node's address in the membership is its id; this table maps ids to ports.
        let ports = Mutex<[NodeID: Int]>([:])
        var servers: [RaftNIOServer<BenchTypes>] = []
        for id in ids {
            let server = try RaftNIOServer<BenchTypes>(nodeID: id, configuration: configuration, group: loop(of: id), logger: logger)
            let port = try await server.start(host: "127.0.0.1", port: 0)
            ports.withLock { $0[id] = port }
            servers.append(server)
        }
        let table = ports.withLock { $0 }
        let executors: [any TaskExecutor] = loops.map { $0.map { EventLoopTaskExecutor($0) } } ?? (0..<options.threads).map { _ in RaftThreadExecutor() }
        var nodes: [RaftNode<BenchTypes>] = []
        var transports: [RaftNIOTransport<BenchTypes>] = []
        for id in ids {
            let transport = try RaftNIOTransport<BenchTypes>(nodeID: id, configuration: configuration, group: loop(of: id), logger: logger) { peer, _ in
                table[peer].map { PeerAddress(host: "127.0.0.1", port: $0) }
            }
            let (log, stateMachine) = try stores(id)
            let node = try await RaftNode.start(
                id: id, config: options.raftConfig(), logStore: log, stateMachine: stateMachine, network: transport.network(),
                logger: logger, randomSeed: id, executor: executors.isEmpty ? nil : executors[Int(id - 1) % executors.count])
            servers[Int(id - 1)].serve(node)
            transports.append(transport)
            nodes.append(node)
        }
        return TCPCluster(nodes: nodes, leader: try await formCluster(nodes), servers: servers, transports: transports, executors: executors)
    }

    func shutdown() async {
        for node in nodes { await node.shutdown() }
        for transport in transports { await transport.shutdown() }
        for server in servers { await server.shutdown() }
        for case let executor as RaftThreadExecutor in executors { executor.shutdown() }
        await cleanUp()
    }
}
