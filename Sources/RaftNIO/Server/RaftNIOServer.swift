import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Raft
import RaftCore
import Synchronization

/// The server side of one node's TCP transport: listens on one address and serves the
/// node's Raft groups (one `RaftNode` per group id) to its peers.
///
/// ```swift
/// let server = try RaftNIOServer<MyTypes>(nodeID: 1, configuration: RaftNIOConfiguration(clusterID: "prod"))
/// server.serve(node)                                   // group 0
/// let port = try await server.start(host: "0.0.0.0", port: 7001)
/// ```
///
/// Every connection starts with a handshake (protocol version, cluster id, the two node ids,
/// and with TLS the peer's certificate identity); see `Sources/RaftNIO/Wire/README.md`.
public final class RaftNIOServer<Types: RaftWireTypes>: Sendable {
    /// This node's id, sent in every handshake.
    public let nodeID: NodeID
    /// The configuration shared with the transport: cluster id, limits, timeouts, TLS.
    public let configuration: RaftNIOConfiguration
    @usableFromInline let group: any EventLoopGroup
    @usableFromInline let shared: ServerShared<Types>
    @usableFromInline let listener: Mutex<(any Channel)?>

    /// A server for node `nodeID`; call ``serve(_:group:)`` and ``start(host:port:)``.
    @inlinable public init(
        nodeID: NodeID, configuration: RaftNIOConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "swift-raft.nio")
    ) throws {
        if let error = configuration.validate() { throw error }
        self.nodeID = nodeID
        self.configuration = configuration
        self.group = group
        self.listener = Mutex(nil)
        // Inlined into the application's module, so the request path is specialized there.
        self.shared = ServerShared(
            nodeID: nodeID, configuration: configuration, sslContext: try configuration.tls?.serverContext(), logger: logger,
            serve: { shared, frame, node, origin throws(FrameError) in try shared.dispatch(frame, to: node, from: origin) })
    }

    /// Serves `node` to peers under `group` (replacing any node served there). The node must
    /// have this server's node id.
    public func serve(_ node: RaftNode<Types>, group: RaftGroupID = 0) {
        precondition(node.id == nodeID, "node \(node.id) served by the server of node \(nodeID)")
        shared.serve(node, group: group)
    }

    /// Stops serving `group`: its requests are refused as an unknown group from now on.
    public func stopServing(group: RaftGroupID) {
        shared.stopServing(group: group)
    }

    /// Binds and listens; returns the port (the ephemeral one chosen when `port` is 0).
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let shared = self.shared
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext = shared.sslContext {
                        try pipeline.addHandler(TLSSniffer(checksum: shared.configuration.checksums))
                        try pipeline.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try pipeline.addHandlers(
                        ByteToMessageHandler(FrameDecoder(maxFrameSize: shared.configuration.maxFrameSize)),
                        ServerConnectionHandler<Types>(shared: shared))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        listener.withLock { $0 = channel }
        let bound = channel.localAddress?.port ?? port
        var logger = shared.logger
        logger[metadataKey: "raft-node"] = "\(nodeID)"
        logger.info("listening", metadata: ["address": "\(host):\(bound)", "tls": "\(configuration.tls != nil)"])
        return bound
    }

    /// The port listened on, once started.
    public var port: Int? { listener.withLock { $0?.localAddress?.port } }

    /// What the server has seen: connections, closures by reason, refused requests.
    public var statistics: RaftNIOServerStatistics { shared.statistics }

    /// Stops listening and closes every connection.
    public func shutdown() async {
        shared.isShuttingDown = true
        let channel = listener.withLock { channel -> (any Channel)? in
            defer { channel = nil }
            return channel
        }
        try? await channel?.close()
        for child in shared.openChannels { try? await child.close() }
    }
}
