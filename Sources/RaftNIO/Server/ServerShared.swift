import Logging
import NIOCore
import NIOSSL
import Raft
import RaftCore
import Synchronization

/// What every connection of one server shares: the groups it serves, its statistics, its
/// configuration.
final class ServerShared<Types: RaftWireTypes>: Sendable {
    let nodeID: NodeID
    let configuration: RaftNIOConfiguration
    let sslContext: NIOSSLContext?
    let logger: Logger
    let instruments: TransportInstruments?
    private let groups = Mutex<[RaftGroupID: RaftNode<Types>]>([:])
    private let stats = Mutex(RaftNIOServerStatistics())
    private let children = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(nodeID: NodeID, configuration: RaftNIOConfiguration, sslContext: NIOSSLContext?, logger: Logger) {
        self.nodeID = nodeID
        self.configuration = configuration
        self.sslContext = sslContext
        self.logger = logger
        self.instruments = TransportInstruments.make(nodeID: nodeID, side: "server")
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
}
