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

    // Requests go to the leader. Any other node answers .forwardToLeader(leaderID:address:)
    // (leader unknown while an election runs): follow the hint and retry. A write whose
    // outcome is unknown (mayHaveBeenApplied) is retried too: repeating these two is harmless
    // (the same put; a compare-and-set that finds its value set). For commands that must not
    // apply twice, see the guide's "Writes and their errors".
    func onLeader<Value>(_ request: (RaftNode<KVTypes>) async throws -> Value) async throws -> Value {
        var target = nodes[0]
        while true {
            do {
                return try await request(target)
            } catch let error as RaftError<String> where error.isRetryable || error.mayHaveBeenApplied {
                if case .forwardToLeader(let leaderID?, _) = error {
                    target = nodes.first { $0.id == leaderID }!
                } else {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
    }

    _ = try await onLeader { try await $0.write(.put(key: "greeting", value: "hello")) }
    _ = try await onLeader { try await $0.write(.compareAndSet(key: "greeting", expected: "hello", new: "hello, raft")) }

    // A linearizable read: confirm leadership and wait for apply, then read local state.
    let leader = try await onLeader { node in
        try await node.ensureLinearizable()
        return node
    }
    let value = stateMachines[leader.id]!.value(forKey: "greeting")

    for node in nodes { await node.shutdown() }
    return value
}
// README-EXAMPLE-END
