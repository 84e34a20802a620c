import Raft
import RaftTesting
import Testing

/// Where to send a request: the leader's id and address, as this node knows them (nil while
/// an election runs, or when this node knows no leader).
func leaderAddress(seenBy node: RaftNode<KVTypes>) -> (id: NodeID, address: String?)? {
    let metrics = node.metrics
    guard let leader = metrics.currentLeader else { return nil }
    return (leader, metrics.membership.membership.address(of: leader))
}

extension GuideSuites {
    @Suite("Guide: FAQ")
    struct FAQTests {
        @Test func everyNodeNamesTheLeaderAndItsAddress() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let router = InProcessRouter<KVTypes>()
                let nodes = try await startPristineNodes(1...3, router: router)
                try await nodes[1]!.initialize(Membership(voters: [1: "10.0.0.1:7001", 2: "10.0.0.2:7001", 3: "10.0.0.3:7001"]))
                let leaderID = try await nodes[1]!.wait(until: .leader(), timeout: .seconds(10)).currentLeader!
                for node in nodes.values {
                    try await node.wait(until: .leader(leaderID), timeout: .seconds(10))
                    try await node.wait(until: .voters([1, 2, 3]), timeout: .seconds(10))
                    let seen = try #require(leaderAddress(seenBy: node))
                    #expect(seen.id == leaderID && seen.address == "10.0.0.\(leaderID):7001")
                }
                for node in nodes.values { await node.shutdown() }
            }
        }
    }
}
