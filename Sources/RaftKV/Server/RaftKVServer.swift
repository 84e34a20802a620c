import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Prometheus
import Raft
import RaftCore
import RaftFileStore
import RaftNIO
import ServiceLifecycle
import Synchronization

/// Why a `raft-kv` member could not start.
public struct RaftKVStartError: Error, CustomStringConvertible, Sendable {
    /// What was wrong, naming the setting (as its `raft-kv serve` option) and its value.
    public var description: String

    init(_ description: String) { self.description = description }
}

/// One member of a `raft-kv` cluster: a Raft node with its log and snapshots on disk, its
/// RaftNIO server and transport, and the HTTP API (Sources/RaftKV/README.md).
///
/// ```swift
/// let server = RaftKVServer(configuration: RaftKVConfiguration(
///     id: 1, dataDirectory: "data/1", raftListen: "127.0.0.1:7001", httpListen: "127.0.0.1:8001",
///     peers: [2: MemberAddress(raft: "127.0.0.1:7002", http: "127.0.0.1:8002")], initialize: true))
/// try await server.start()
/// // ... later
/// await server.shutdown()
/// ```
///
/// As a swift-service-lifecycle `Service` (``run()``) it starts, serves until graceful
/// shutdown is triggered (SIGTERM/SIGINT in `raft-kv serve`), then shuts down gracefully.
public final class RaftKVServer: Sendable {
    /// What this member runs with.
    public let configuration: RaftKVConfiguration
    /// Where `/metrics` reads from.
    public let registry: PrometheusCollectorRegistry
    let logger: Logger
    private let running = Mutex<Running?>(nil)
    private let box = APIBox()

    struct Running: Sendable {
        var node: RaftNode<StoreTypes>
        var store: StoreStateMachine
        var raftServer: RaftNIOServer<StoreTypes>
        var transport: RaftNIOTransport<StoreTypes>
        var pool: HTTPClientPool
        var http: ServiceGroup
        var httpTask: Task<Void, Never>
        var address: MemberAddress
    }

    /// A member that starts with ``start()``.
    public init(configuration: RaftKVConfiguration, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logger: Logger? = nil) {
        self.configuration = configuration
        self.registry = registry
        self.logger = logger ?? Logger(label: "raft-kv.\(configuration.id)")
    }

    private var current: Running {
        guard let running = running.withLock({ $0 }) else { preconditionFailure("the server of node \(configuration.id) is not running") }
        return running
    }

    /// The Raft node (once started).
    public var node: RaftNode<StoreTypes> { current.node }
    /// The store's applied state (once started).
    public var store: StoreStateMachine { current.store }
    /// The addresses this member serves on and advertises (once started).
    public var address: MemberAddress { current.address }

    /// Opens the data directory, starts the node and both servers, and returns once they
    /// listen. With ``RaftKVConfiguration/initialize`` a pristine node forms the cluster.
    public func start() async throws {
        let configuration = self.configuration
        guard let raftListen = PeerAddress(configuration.raftListen) else {
            throw RaftKVStartError("--raft-listen must be host:port, not \(configuration.raftListen)")
        }
        guard let (httpHost, httpPort) = HTTPClientPool.split(configuration.httpListen) else {
            throw RaftKVStartError("--http-listen must be host:port, not \(configuration.httpListen)")
        }
        var nio = RaftNIOConfiguration(clusterID: configuration.clusterID, tls: configuration.raftTLS)
        configuration.transport(&nio)
        if let error = nio.validate(for: configuration.raft) { throw RaftKVStartError("\(error)") }

        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let storageLostMarker = StorageLostMarker(dataDirectory: configuration.dataDirectory)
        if configuration.storageLost {
            try storageLostMarker.create()
        } else if storageLostMarker.isPresent {
            logger.warning("\(storageLostMarker.path) is present: this node was started with --storage-lost and its voting stays suspended until POST /v1/cluster/resume-voting")
        }
        let storageLost = configuration.storageLost || storageLostMarker.isPresent
        let logStore = try FileLogStore<StoreTypes>(directory: configuration.dataDirectory + "/log")
        let store = StoreStateMachine()
        let stateMachine = try DurableSnapshotStateMachine(store, directory: configuration.dataDirectory + "/snapshots")

        let raftLoop: (any EventLoop)? = configuration.raftOnOneEventLoop ? MultiThreadedEventLoopGroup.singleton.next() : nil
        let raftGroup: any EventLoopGroup = raftLoop ?? MultiThreadedEventLoopGroup.singleton
        let raftServer = try RaftNIOServer<StoreTypes>(nodeID: configuration.id, configuration: nio, group: raftGroup, logger: logger)
        let raftPort = try await raftServer.start(host: raftListen.host, port: raftListen.port)
        let peers = configuration.peers
        let dial = configuration.dial
        let transport = try RaftNIOTransport<StoreTypes>(nodeID: configuration.id, configuration: nio, group: raftGroup, logger: logger) { id, address in
            (dial[id] ?? address?.raft ?? peers[id]?.raft).flatMap(PeerAddress.init)
        }
        let node: RaftNode<StoreTypes>
        do {
            node = try await RaftNode.start(
                id: configuration.id, config: configuration.raft, logStore: logStore, stateMachine: stateMachine,
                network: transport.network(), logger: logger, storageLost: storageLost, executor: raftLoop.map { EventLoopTaskExecutor($0) })
        } catch {
            await raftServer.shutdown()
            await transport.shutdown()
            throw error
        }
        raftServer.serve(node)
        let startCommitted = node.metrics.committed.indexOrZero

        let (http, httpTask, boundPort) = try await startHTTP(host: httpHost, port: httpPort)
        guard let boundPort else {
            await raftServer.shutdown()
            await node.shutdown()
            await transport.shutdown()
            throw RaftKVStartError("the HTTP server could not listen on \(configuration.httpListen)")
        }
        let address = configuration.advertised ?? MemberAddress(
            raft: PeerAddress(host: raftListen.host, port: raftPort).description,
            http: PeerAddress(host: httpHost, port: boundPort).description)
        let pool = HTTPClientPool(tls: try configuration.forwardingTLS.map { try NIOSSLContext(configuration: $0) })
        box.set(KVAPI(
            node: node, store: store, configuration: configuration, selfAddress: address, pool: pool,
            metrics: ServerMetrics(registry: registry, nodeID: configuration.id), startCommitted: startCommitted, logger: logger))
        running.withLock {
            $0 = Running(node: node, store: store, raftServer: raftServer, transport: transport, pool: pool, http: http, httpTask: httpTask, address: address)
        }
        logger.info("raft-kv node \(configuration.id) serving HTTP at \(address.http), Raft at \(address.raft)")

        if configuration.initialize {
            var voters = configuration.peers
            voters[configuration.id] = address
            do {
                try await node.initialize(Membership(voters: voters))
                logger.info("formed a cluster of \(voters.keys.sorted())")
            } catch {
                if case .initialize(.alreadyInitialized) = error {
                    logger.info("already initialized: restarting from the data directory")
                } else {
                    throw error
                }
            }
        }
    }

    /// Starts the HTTP server; returns its service group, the task running it, and the bound
    /// port (nil when it could not listen).
    private func startHTTP(host: String, port: Int) async throws -> (ServiceGroup, Task<Void, Never>, Int?) {
        let box = self.box
        let responder = CallbackResponder<BasicRequestContext> { request, context in
            try await box.respond(to: request, context: context)
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int?.self)
        let server: HTTPServerBuilder = try configuration.httpTLS.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1()
        let app = Application(
            responder: responder, server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "raft-kv"),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port) },
            logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: logger))
        let logger = self.logger
        let task = Task {
            do {
                try await group.run()
            } catch {
                logger.error("the HTTP server stopped: \(error)")
            }
            portContinuation.finish()
        }
        var bound: Int?
        for await port in ports {
            bound = port
            break
        }
        return (group, task, bound)
    }

    /// Stops gracefully: the HTTP server stops accepting and answers what is in flight, a
    /// leader hands leadership to the most caught-up voter, then the node, its Raft server
    /// and its transport stop. Returns once all have.
    public func shutdown() async {
        guard let running = running.withLock({ state -> Running? in defer { state = nil }; return state }) else { return }
        await running.http.triggerGracefulShutdown()
        await running.httpTask.value
        if running.node.metrics.isLeader, let target = box.api?.bestTransferTarget() {
            do {
                try await running.node.transferLeader(to: target, timeout: .seconds(3))
                logger.info("handed leadership to node \(target)")
            } catch {
                logger.warning("could not hand leadership to node \(target): \(error)")
            }
        }
        await running.raftServer.shutdown()
        await running.node.shutdown()
        await running.transport.shutdown()
        await running.pool.shutdown()
        logger.info("raft-kv node \(configuration.id) stopped")
    }

    /// Stops at once, as a crash would (for tests): connections are cut, requests in flight
    /// fail, leadership is not handed over. What was acknowledged is on disk already.
    public func kill() async {
        guard let running = running.withLock({ state -> Running? in defer { state = nil }; return state }) else { return }
        running.httpTask.cancel()
        await running.raftServer.shutdown()
        await running.node.shutdown()
        await running.httpTask.value
        await running.transport.shutdown()
        await running.pool.shutdown()
    }
}

/// A `raft-kv` member whose node stopped on a storage failure: the process should end (and a
/// supervisor restart it, which runs the store's recovery) rather than linger unable to write.
public struct RaftKVStoppedError: Error, CustomStringConvertible, Sendable {
    /// The storage error the node stopped on.
    public var cause: StorageError
    /// The failure, for logs.
    public var description: String { "the node stopped on a storage failure: \(cause)" }
}

extension RaftKVServer: Service {
    /// Starts, serves until graceful shutdown is triggered or the node stops on a storage
    /// failure, then shuts down gracefully; the storage failure is thrown.
    public func run() async throws {
        try await start()
        let node = self.node
        let failure: StorageError? = await withTaskGroup(of: StorageError?.self) { group in
            group.addTask {
                try? await gracefulShutdown()
                return nil
            }
            group.addTask {
                while !Task.isCancelled {
                    guard let metrics = try? await node.wait(until: .stopped, timeout: .seconds(3600)) else { continue }
                    if case .fatal(let error) = metrics.runningState { return error }
                    return nil
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let failure { logger.critical("raft-kv node \(configuration.id) stops: its storage failed: \(failure)") }
        await shutdown()
        if let failure { throw RaftKVStoppedError(cause: failure) }
    }
}

/// The API once the node runs; requests that arrive before answer 503.
final class APIBox: Sendable {
    private let stored = Mutex<KVAPI?>(nil)

    var api: KVAPI? { stored.withLock { $0 } }

    func set(_ api: KVAPI) { stored.withLock { $0 = api } }

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        guard let api else {
            var error = APIError(.serviceUnavailable, "starting", "the node is starting")
            error.retryAfter = 1
            error.retryable = true
            return KVAPI.errorResponse(error)
        }
        return try await api.respond(to: request, context: context)
    }
}
