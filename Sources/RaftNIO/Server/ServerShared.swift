import Logging
import NIOCore
import NIOSSL
import Raft
import RaftCore
import Synchronization

/// What every connection of one server shares: the groups it serves, its statistics, its
/// configuration.
@usableFromInline final class ServerShared<Types: RaftWireTypes>: Sendable {
    @usableFromInline let nodeID: NodeID
    @usableFromInline let configuration: RaftNIOConfiguration
    let sslContext: NIOSSLContext?
    @usableFromInline let logger: Logger
    @usableFromInline let instruments: TransportInstruments?
    /// Decodes a request frame and hands it to the group's node. Built by the server's
    /// inlinable initializer, so it is specialized for the application's types.
    let serve: @Sendable (ServerShared<Types>, Frame, RaftNode<Types>, RequestOrigin) throws(FrameError) -> Void
    private let groups = Mutex<[RaftGroupID: RaftNode<Types>]>([:])
    private let stats = Mutex(RaftNIOServerStatistics())
    private let children = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let stopping = Mutex(false)

    @usableFromInline init(
        nodeID: NodeID, configuration: RaftNIOConfiguration, sslContext: NIOSSLContext?, logger: Logger,
        serve: @escaping @Sendable (ServerShared<Types>, Frame, RaftNode<Types>, RequestOrigin) throws(FrameError) -> Void
    ) {
        self.nodeID = nodeID
        self.configuration = configuration
        self.sslContext = sslContext
        self.logger = logger
        self.serve = serve
        self.instruments = TransportInstruments.make(nodeID: nodeID, side: "server")
    }

    /// Answers a request with a refusal, counted.
    @usableFromInline func refuse(_ request: RequestOrigin, _ reason: RefusalReason, _ detail: String) {
        stats.withLock { $0.refusedRequests[reason, default: 0] += 1 }
        instruments?.refusal(reason.rawValue, direction: "sent")
        request.answer(.refused(Refusal(reason: reason, detail: detail)))
    }

    /// Counts a request handed to a node.
    @usableFromInline func served(group: RaftGroupID) {
        stats.withLock {
            $0.requestsServed += 1
            $0.requestsByGroup[group, default: 0] += 1
        }
    }

    func node(for group: RaftGroupID) -> RaftNode<Types>? { groups.withLock { $0[group] } }
    func serve(_ node: RaftNode<Types>, group: RaftGroupID) { groups.withLock { $0[group] = node } }
    func stopServing(group: RaftGroupID) { _ = groups.withLock { $0.removeValue(forKey: group) } }

    var statistics: RaftNIOServerStatistics { stats.withLock { $0 } }
    func updateStatistics(_ body: (inout RaftNIOServerStatistics) -> Void) { stats.withLock { body(&$0) } }

    func opened(_ channel: any Channel) {
        children.withLock { $0[ObjectIdentifier(channel)] = channel }
        stats.withLock {
            $0.openConnections += 1
            $0.acceptedConnections += 1
        }
    }

    func closed(_ channel: any Channel, _ closure: ConnectionClosure) {
        children.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
        stats.withLock {
            $0.openConnections -= 1
            $0.record(closure)
        }
        instruments?.closed(closure.reason.category, side: "server")
    }

    var openChannels: [any Channel] { children.withLock { Array($0.values) } }

    /// Whether the server is shutting down (connections it closes end for that reason).
    var isShuttingDown: Bool {
        get { stopping.withLock { $0 } }
        set { stopping.withLock { $0 = newValue } }
    }
}
