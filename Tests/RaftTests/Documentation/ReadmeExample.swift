import Raft
import RaftTesting

// README-EXAMPLE-BEGIN
/// A three-node replicated key-value store in one process: in-memory log stores and state
/// machines, nodes connected by the in-process router.
func runThreeNodeCluster() async throws -> String? {
    let router = InProcessRouter<KVTypes>()
    var nodes: [RaftNode<KVTypes>] = []
    var stateMachines: [NodeID: MemoryKVStateMachine] = [:]
    for id: NodeID in 1...3 {
        let stateMachine = MemoryKVStateMachine()
        let node = try await RaftNode.start(
            id: id,
            logStore: MemoryLogStore<KVTypes>(),
            stateMachine: stateMachine,
            network: router.network(for: id))
        router.register(node)
        nodes.append(node)
        stateMachines[id] = stateMachine
    }

    // Form the cluster once, on one node; the others learn the membership from it.
    try await nodes[0].initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
    let metrics = try await nodes[1].wait(until: .leader(), timeout: .seconds(5))
    let leader = nodes.first { $0.id == metrics.currentLeader }!

    // Writes go to the leader; a follower answers .forwardToLeader(leaderID:address:).
    _ = try await leader.write(.put(key: "greeting", value: "hello"))
    _ = try await leader.write(.compareAndSet(key: "greeting", expected: "hello", new: "hello, raft"))

    // A linearizable read: confirm leadership and wait for apply, then read local state.
    try await leader.ensureLinearizable()
    let value = stateMachines[leader.id]!.value(forKey: "greeting")

    for node in nodes { await node.shutdown() }
    return value
}
// README-EXAMPLE-END
