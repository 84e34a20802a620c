import Raft
import RaftTesting
import Testing

/// Three nodes in one process: in-memory logs and key-value state machines, connected by the
/// in-process router. Returns what a linearizable read on the leader sees.
func gettingStartedInProcess(config: RaftConfig = RaftConfig()) async throws -> String? {
    let router = InProcessRouter<KVTypes>()
    var nodes: [NodeID: RaftNode<KVTypes>] = [:]
    var stateMachines: [NodeID: MemoryKVStateMachine] = [:]
    for id: NodeID in 1...3 {
        let stateMachine = MemoryKVStateMachine()
        let node = try await RaftNode.start(
            id: id, config: config, logStore: MemoryLogStore<KVTypes>(), stateMachine: stateMachine,
            network: router.network(for: id))
        router.register(node)
        nodes[id] = node
        stateMachines[id] = stateMachine
    }

    // Form the cluster once, on one node: it campaigns at once, and the others join it.
    try await nodes[1]!.initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
    let leaderID = try await nodes[1]!.wait(until: .leader(), timeout: .seconds(10)).currentLeader!

    _ = try await nodes[leaderID]!.write(.put(key: "greeting", value: "hello, raft"))
    try await nodes[leaderID]!.ensureLinearizable()
    let value = stateMachines[leaderID]!.value(forKey: "greeting")

    for node in nodes.values { await node.shutdown() }
    return value
}

extension GuideSuites {
    @Suite("Guide: Getting started")
    struct GettingStartedTests {
        @Test func threeNodesInOneProcessReplicateAWrite() async throws {
            // On a starved machine the first leader can still step down between the wait and the
            // write; a fresh cluster is then tried.
            let value = try await retryingLeadershipChanges { try await gettingStartedInProcess(config: withGenerousTimeouts()) }
            #expect(value == "hello, raft")
        }
    }
}
