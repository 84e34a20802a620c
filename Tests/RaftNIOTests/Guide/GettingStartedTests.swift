import Raft
import RaftNIO
import Testing

/// The same cluster with every RPC over TCP on loopback: each node has a server that its
/// peers dial and a transport that dials them. Returns the leader's answer to a write.
func gettingStartedOverTCP(config: RaftConfig = RaftConfig()) async throws -> KVResponse {
    let configuration = RaftNIOConfiguration(clusterID: "getting-started")
    var servers: [NodeID: RaftNIOServer<KVTypes>] = [:]
    var addresses: [NodeID: String] = [:]
    for id: NodeID in 1...3 {
        let server = try RaftNIOServer<KVTypes>(nodeID: id, configuration: configuration)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        servers[id] = server
        addresses[id] = "127.0.0.1:\(port)"
    }
    var nodes: [NodeID: RaftNode<KVTypes>] = [:]
    var transports: [RaftNIOTransport<KVTypes>] = []
    for id: NodeID in 1...3 {
        let transport = try RaftNIOTransport<KVTypes>(nodeID: id, configuration: configuration)
        let node = try await RaftNode.start(
            id: id, config: config, logStore: MemoryLogStore<KVTypes>(), stateMachine: MemoryKVStateMachine(),
            network: transport.network())
        servers[id]!.serve(node)
        nodes[id] = node
        transports.append(transport)
    }

    // The membership carries each node's address; peers dial each other there.
    try await nodes[1]!.initialize(Membership(voters: addresses))
    let leaderID = try await nodes[1]!.wait(until: .leader(), timeout: .seconds(10)).currentLeader!
    let response = try await nodes[leaderID]!.write(.put(key: "greeting", value: "hello over TCP"))

    for server in servers.values { await server.shutdown() }
    for node in nodes.values { await node.shutdown() }
    for transport in transports { await transport.shutdown() }
    return response
}

extension GuideOverTCPSuites {
    @Suite("Guide: Getting started over TCP")
    struct GettingStartedOverTCPTests {
        @Test func threeNodesOverLoopbackReplicateAWrite() async throws {
            // Timeouts generous enough for a busy machine; a fresh cluster is tried if leadership
            // still moved between the wait and the write.
            var config = RaftConfig()
            config.engine.electionTimeoutMin = .milliseconds(600)
            config.engine.electionTimeoutMax = .milliseconds(1200)
            config.engine.leaseDuration = .milliseconds(500)
            for attempt in 1...3 {
                do {
                    #expect(try await gettingStartedOverTCP(config: config) == .written(previous: nil))
                    return
                } catch let error as RaftError<String> where (error.isRetryable || error.mayHaveBeenApplied) && attempt < 3 {
                    continue
                }
            }
        }
    }
}
