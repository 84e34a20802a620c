import Foundation
import Raft
import RaftNIO
import Testing

/// Multi-raft: one server and one connection per peer pair carry several groups.
@Suite("RaftNIO: groups sharing connections")
struct MultiGroupTests {
    @Test func twoGroupsRunOverOneServerAndOneConnectionPerPeer() async throws {
        let ids: [NodeID] = [1, 2, 3]
        let groups: [RaftGroupID] = [7, 8]
        let configuration = RaftNIOConfiguration(clusterID: "multi")
        var servers: [NodeID: RaftNIOServer<KVTypes>] = [:]
        var transports: [NodeID: RaftNIOTransport<KVTypes>] = [:]
        var addresses: [NodeID: String] = [:]
        for id in ids {
            let server = try RaftNIOServer<KVTypes>(nodeID: id, configuration: configuration, logger: NIOCluster.logger)
            addresses[id] = "127.0.0.1:\(try await server.start())"
            servers[id] = server
            transports[id] = try RaftNIOTransport<KVTypes>(nodeID: id, configuration: configuration, logger: NIOCluster.logger)
        }
        var nodes: [RaftGroupID: [NodeID: RaftNode<KVTypes>]] = [:]
        var machines: [RaftGroupID: [NodeID: MemoryKVStateMachine]] = [:]
        for group in groups {
            for id in ids {
                let machine = MemoryKVStateMachine()
                let node = try await RaftNode.start(
                    id: id, config: NIOCluster.fastConfig(), logStore: MemoryLogStore<KVTypes>(), stateMachine: machine,
                    network: transports[id]!.network(group: group), logger: NIOCluster.logger, randomSeed: id &+ group)
                servers[id]!.serve(node, group: group)
                nodes[group, default: [:]][id] = node
                machines[group, default: [:]][id] = machine
            }
        }
        // Both groups are formed on node 1, which campaigns at once in each.
        try await nodes[7]![1]!.initialize(Membership(voters: addresses))
        try await nodes[8]![1]!.initialize(Membership(voters: addresses))
        for group in groups {
            let members = Array(nodes[group]!.values)
            for index in 0..<10 {
                _ = try await writeToLeader(members, .put(key: "k\(index)", value: "group-\(group)"))
            }
        }
        for group in groups {
            for id in ids {
                let deadline = ContinuousClock.now + .seconds(10)
                while machines[group]![id]!.value(forKey: "k9") != "group-\(group)", ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(machines[group]![id]!.value(forKey: "k9") == "group-\(group)", "group \(group) node \(id)")
            }
        }
        // Node 1 formed both groups and led them: on each follower's server, one connection
        // from node 1 carried the requests of both groups. (Other connections exist only if a
        // follower campaigned, as a starved test machine can make it do.)
        for id: NodeID in [2, 3] {
            let statistics = servers[id]!.statistics
            #expect(statistics.establishedByPeer[1] == 1, "node \(id): \(statistics)")
            #expect((statistics.requestsByGroup[7] ?? 0) > 0 && (statistics.requestsByGroup[8] ?? 0) > 0)
            #expect(statistics.establishedByPeer.values.allSatisfy { $0 == 1 })
        }
        for group in groups { for node in nodes[group]!.values { await node.shutdown() } }
        for id in ids {
            await transports[id]!.shutdown()
            await servers[id]!.shutdown()
        }
    }
}
