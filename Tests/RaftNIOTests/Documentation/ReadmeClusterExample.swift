import Raft
import RaftFileStore
import RaftNIO

// README-CLUSTER-EXAMPLE-BEGIN
/// One member of a cluster whose nodes run on different machines. Start it on every
/// machine with that machine's node id; `peers` maps every node id (this one's included)
/// to the `host:port` its server listens on.
struct ClusterMember {
    let node: RaftNode<KVTypes>
    let stateMachine: MemoryKVStateMachine
    let server: RaftNIOServer<KVTypes>
    let transport: RaftNIOTransport<KVTypes>

    static func start(id: NodeID, peers: [NodeID: String], listenHost: String, dataDirectory: String) async throws -> ClusterMember {
        // Every member uses the same cluster id; add `tls: try RaftNIOTLS(certificateFile:
        // privateKeyFile:trustRootsFile:)` for mutual TLS between the machines.
        let configuration = RaftNIOConfiguration(clusterID: "inventory-prod")
        let server = try RaftNIOServer<KVTypes>(nodeID: id, configuration: configuration)
        let transport = try RaftNIOTransport<KVTypes>(nodeID: id, configuration: configuration)

        // The log survives restarts, and so do the snapshots the log is purged up to: the
        // in-memory state machine is rebuilt from the latest snapshot and the log after it.
        let logStore = try FileLogStore<KVTypes>(directory: dataDirectory + "/log")
        let stateMachine = MemoryKVStateMachine()
        let durable = try DurableSnapshotStateMachine(stateMachine, directory: dataDirectory + "/snapshots")
        let node = try await RaftNode.start(id: id, logStore: logStore, stateMachine: durable, network: transport.network())
        server.serve(node)
        try await server.start(host: listenHost, port: PeerAddress(peers[id]!)!.port)

        // The lowest id forms the cluster the first time; after a restart its log says it is
        // initialized and the call is refused, which is harmless.
        if id == peers.keys.min() {
            do {
                try await node.initialize(Membership(voters: peers))
            } catch {
                guard case .initialize(.alreadyInitialized) = error else { throw error }
            }
        }
        return ClusterMember(node: node, stateMachine: stateMachine, server: server, transport: transport)
    }

    func stop() async {
        await server.shutdown()
        await node.shutdown()  // also closes the log store and the state machine
        await transport.shutdown()
    }
}
// README-CLUSTER-EXAMPLE-END
