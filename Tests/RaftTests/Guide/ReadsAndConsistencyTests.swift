import Raft
import RaftTesting
import Testing

/// Linearizable, on the leader: one round of heartbeats to a quorum confirms that this node
/// still leads, and the call returns once everything committed before it is applied.
func readOnLeader(_ leader: RaftNode<KVTypes>, _ stateMachine: MemoryKVStateMachine, key: String) async throws -> String? {
    try await leader.ensureLinearizable(policy: .readIndex)
    return stateMachine.value(forKey: key)
}

/// Linearizable while the leader's lease holds, without a round trip: the lease assumes the
/// nodes' clocks drift apart by less than the gap between the lease and the election timeout.
func readWithLease(_ leader: RaftNode<KVTypes>, _ stateMachine: MemoryKVStateMachine, key: String) async throws -> String? {
    try await leader.ensureLinearizable(policy: .lease)
    return stateMachine.value(forKey: key)
}

/// Linearizable, on a follower: one RPC asks the leader for its read index, then the
/// follower waits until it has applied that far and reads its own state.
func readOnFollower(
    _ follower: RaftNode<KVTypes>, _ stateMachine: MemoryKVStateMachine, leader: some RaftNetworkClient<KVTypes>, key: String
) async throws -> String? {
    try await follower.ensureLinearizable(via: leader, timeout: .seconds(5))
    return stateMachine.value(forKey: key)
}

/// Stale: whatever this node has applied, with no call at all. Fast and always available,
/// but possibly behind the cluster by any amount (a node cut off from the leader keeps
/// answering from the state it had).
func readStale(_ stateMachine: MemoryKVStateMachine, key: String) -> String? {
    stateMachine.value(forKey: key)
}

extension GuideSuites {
    @Suite("Guide: Reads and consistency")
    struct ReadsAndConsistencyTests {
        @Test func eachReadSeesWhatItsGuaranteeSays() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let router = InProcessRouter<KVTypes>()
                var nodes: [NodeID: RaftNode<KVTypes>] = [:]
                var machines: [NodeID: MemoryKVStateMachine] = [:]
                for id: NodeID in 1...3 {
                    let machine = MemoryKVStateMachine()
                    nodes[id] = try await RaftNode.start(
                        id: id, config: withGenerousTimeouts(), logStore: MemoryLogStore<KVTypes>(), stateMachine: machine,
                        network: router.network(for: id))
                    router.register(nodes[id]!)
                    machines[id] = machine
                }
                try await nodes[1]!.initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
                try await nodes[1]!.wait(until: .state(.leader), timeout: .seconds(10))
                let leader = nodes[1]!
                _ = try await leader.write(.put(key: "color", value: "red"))

                #expect(try await readOnLeader(leader, machines[1]!, key: "color") == "red")
                #expect(try await readWithLease(leader, machines[1]!, key: "color") == "red")
                let toLeader = router.network(for: 2).makeClient(for: 1, address: "node-1")
                #expect(try await readOnFollower(nodes[2]!, machines[2]!, leader: toLeader, key: "color") == "red")

                // Node 3 is cut off; the majority goes on without it.
                try await nodes[3]!.wait(until: .appliedIndex(atLeast: leader.metrics.appliedIndex), timeout: .seconds(10))
                router.isolate(3)
                _ = try await leader.write(.put(key: "color", value: "blue"))
                #expect(try await readOnLeader(leader, machines[1]!, key: "color") == "blue")
                #expect(readStale(machines[3]!, key: "color") == "red")
                // A linearizable read there fails instead of answering the old value.
                let fromIsolated = router.network(for: 3).makeClient(for: 1, address: "node-1")
                await #expect(throws: RaftError<String>.self) {
                    try await readOnFollower(nodes[3]!, machines[3]!, leader: fromIsolated, key: "color")
                }
                router.healAll()
                for node in nodes.values { await node.shutdown() }
            }
        }
    }
}
