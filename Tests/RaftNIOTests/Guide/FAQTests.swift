import Raft
import RaftNIO
import Testing

/// Two Raft groups (two independent clusters, say two shards) on the same three processes:
/// each process has one server and one transport, and every group's messages share its
/// connections, tagged with the group id.
func startTwoGroups(config: RaftConfig = RaftConfig()) async throws -> (
    groups: [RaftGroupID: [NodeID: RaftNode<KVTypes>]], servers: [RaftNIOServer<KVTypes>], transports: [RaftNIOTransport<KVTypes>]
) {
    let configuration = RaftNIOConfiguration(clusterID: "sharded")
    var groups: [RaftGroupID: [NodeID: RaftNode<KVTypes>]] = [1: [:], 2: [:]]
    var addresses: [NodeID: String] = [:]
    var servers: [NodeID: RaftNIOServer<KVTypes>] = [:]
    var transports: [NodeID: RaftNIOTransport<KVTypes>] = [:]
    for id: NodeID in 1...3 {
        servers[id] = try RaftNIOServer<KVTypes>(nodeID: id, configuration: configuration)
        transports[id] = try RaftNIOTransport<KVTypes>(nodeID: id, configuration: configuration)
        addresses[id] = "127.0.0.1:\(try await servers[id]!.start(host: "127.0.0.1", port: 0))"
    }
    for group: RaftGroupID in [1, 2] {
        for id: NodeID in 1...3 {
            let node = try await RaftNode.start(
                id: id, config: config, logStore: MemoryLogStore<KVTypes>(), stateMachine: MemoryKVStateMachine(),
                network: transports[id]!.network(group: group))
            servers[id]!.serve(node, group: group)
            groups[group]![id] = node
        }
        try await groups[group]![1]!.initialize(Membership(voters: addresses))
    }
    return (groups, Array(servers.values), Array(transports.values))
}

extension GuideOverTCPSuites {
    @Suite("Guide: FAQ over TCP")
    struct FAQOverTCPTests {
        @Test func twoGroupsShareTheConnectionsAndCommitIndependently() async throws {
            var config = RaftConfig()
            config.engine.electionTimeoutMin = .milliseconds(600)
            config.engine.electionTimeoutMax = .milliseconds(1200)
            config.engine.leaseDuration = .milliseconds(500)
            let (groups, servers, transports) = try await startTwoGroups(config: config)
            for (group, nodes) in groups {
                let deadline = ContinuousClock.now + .seconds(20)
                var written = false
                while !written, ContinuousClock.now < deadline {
                    if let leader = nodes.values.first(where: { $0.metrics.isLeader }) {
                        written = (try? await leader.write(.put(key: "group", value: "\(group)"))) != nil
                    }
                    if !written { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(written, "group \(group) committed a write")
            }
            for server in servers { await server.shutdown() }
            for nodes in groups.values { for node in nodes.values { await node.shutdown() } }
            for transport in transports { await transport.shutdown() }
        }
    }
}
