import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Raft
import RaftCore
import Synchronization

/// The client side of one node's TCP transport: one connection to each peer (plus one for
/// snapshot chunks, opened when a snapshot is first sent), shared by every Raft group of
/// the node. Hand ``network(group:)`` to `RaftNode.start` for each group.
///
/// ```swift
/// let transport = try RaftNIOTransport<MyTypes>(nodeID: 1, configuration: RaftNIOConfiguration(clusterID: "prod"))
/// let node = try await RaftNode.start(id: 1, logStore: store, stateMachine: machine, network: transport.network())
/// ```
///
/// Requests go out from the node's loop without waiting (``RaftNIOClient`` sends without
/// waiting); each is answered within its timeout, by the peer or with an `RPCError`.
public final class RaftNIOTransport<Types: RaftWireTypes>: Sendable {
    /// This node's id, sent in every handshake.
    public let nodeID: NodeID
    /// The configuration shared with the server: cluster id, limits, timeouts, TLS.
    public let configuration: RaftNIOConfiguration
    let context: ClientContext
    let resolve: @Sendable (NodeID, Types.NodeAddress?) -> PeerAddress?
    private let peers = Mutex<[NodeID: Peer]>([:])

    struct Peer {
        var main: PeerConnection
        var snapshot: PeerConnection?
    }

    /// A transport for node `nodeID`.
    ///
    /// - Parameters:
    ///   - nodeID: this node's id, sent in every handshake.
    ///   - configuration: the cluster id, limits, timeouts and TLS shared with the server.
    ///   - group: the event loops connections run on (default: NIO's shared group).
    ///   - logger: where connects, disconnects and refusals are logged.
    ///   - resolve: where a peer listens, given its id and the address the membership holds
    ///     for it (nil when unknown); nil when it cannot be reached.
    public init(
        nodeID: NodeID, configuration: RaftNIOConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "swift-raft.nio"),
        resolve: @escaping @Sendable (NodeID, Types.NodeAddress?) -> PeerAddress?
    ) throws {
        if let error = configuration.validate() { throw error }
        self.nodeID = nodeID
        self.configuration = configuration
        self.resolve = resolve
        self.context = ClientContext(
            localNode: nodeID, configuration: configuration, group: group, sslContext: try configuration.tls?.clientContext(), logger: logger)
    }

    /// The network factory of one Raft group of this node.
    public func network(group: RaftGroupID = 0) -> RaftNIONetwork<Types> {
        RaftNIONetwork(transport: self, group: group)
    }

    /// Closes every connection; calls in flight and later calls fail as unreachable.
    public func shutdown() async {
        let connections = peers.withLock { peers in
            peers.values.flatMap { [$0.main] + ($0.snapshot.map { [$0] } ?? []) }
        }
        for connection in connections { try? await connection.shutdown().get() }
    }

    @usableFromInline func connection(to peer: NodeID, address: Types.NodeAddress?, lane: ConnectionLane) -> PeerConnection {
        let resolved = resolve(peer, address)
        return peers.withLock { peers in
            if var existing = peers[peer] {
                if let resolved {
                    existing.main.update(address: resolved)
                    existing.snapshot?.update(address: resolved)
                }
                switch lane {
                case .main: return existing.main
                case .snapshot:
                    if let snapshot = existing.snapshot { return snapshot }
                    let snapshot = PeerConnection(peer: peer, lane: .snapshot, address: resolved ?? existing.main.currentAddress, context: context)
                    existing.snapshot = snapshot
                    peers[peer] = existing
                    return snapshot
                }
            }
            let main = PeerConnection(peer: peer, lane: .main, address: resolved, context: context)
            var entry = Peer(main: main, snapshot: nil)
            if lane == .snapshot { entry.snapshot = PeerConnection(peer: peer, lane: .snapshot, address: resolved, context: context) }
            peers[peer] = entry
            return lane == .main ? entry.main : entry.snapshot!
        }
    }
}

extension RaftNIOTransport where Types.NodeAddress == String {
    /// A transport whose membership addresses are `host:port` strings.
    public convenience init(
        nodeID: NodeID, configuration: RaftNIOConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "swift-raft.nio")
    ) throws {
        try self.init(nodeID: nodeID, configuration: configuration, group: group, logger: logger) { _, address in address.flatMap(PeerAddress.init) }
    }
}

/// The `RaftNetworkFactory` of one group on a ``RaftNIOTransport``.
public struct RaftNIONetwork<Types: RaftWireTypes>: RaftNetworkFactory {
    @usableFromInline let transport: RaftNIOTransport<Types>
    /// The group every request of this factory's clients names.
    public let group: RaftGroupID

    @inlinable init(transport: RaftNIOTransport<Types>, group: RaftGroupID) {
        self.transport = transport
        self.group = group
    }

    @inlinable public func makeClient(for target: NodeID, address: Types.NodeAddress?) -> RaftNIOClient<Types> {
        RaftNIOClient(transport: transport, group: group, target: target, address: address)
    }
}
