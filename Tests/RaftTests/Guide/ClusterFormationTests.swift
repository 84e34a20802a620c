import Raft
import RaftTesting
import Testing

/// Starts pristine in-memory nodes on a router; formation is what the functions below do.
func startPristineNodes(
    _ ids: ClosedRange<NodeID>, router: InProcessRouter<KVTypes>, config: RaftConfig = withGenerousTimeouts()
) async throws -> [NodeID: RaftNode<KVTypes>] {
    var nodes: [NodeID: RaftNode<KVTypes>] = [:]
    for id in ids {
        let node = try await RaftNode.start(
            id: id, config: config, logStore: MemoryLogStore<KVTypes>(), stateMachine: MemoryKVStateMachine(),
            network: router.network(for: id))
        router.register(node)
        nodes[id] = node
    }
    return nodes
}

/// Every node is started with the same list of members and calls `initialize` with it: no
/// node is special, so the same start-up script runs everywhere. The nodes that find the
/// cluster already formed (by a peer's first append, or by their own earlier run) are told
/// so, and that is harmless.
func formOnEveryNode(_ nodes: [NodeID: RaftNode<KVTypes>]) async throws {
    let membership = Membership<KVTypes>(voters: [1: "node-1", 2: "node-2", 3: "node-3"])
    for node in nodes.values {
        do {
            try await node.initialize(membership)
        } catch {
            guard case .initialize(.alreadyInitialized) = error else { throw error }
        }
    }
}

/// Starts a one-node cluster and grows it: each new node joins as a learner, catches up, and
/// then becomes a voter (through joint consensus, see the membership article).
func growFromOneNode(_ nodes: [NodeID: RaftNode<KVTypes>]) async throws {
    let first = nodes[1]!
    try await first.initialize(Membership(voters: [1: "node-1"]))
    // Index 2 is the blank entry a new leader appends: once it commits, so has the first
    // membership, and a change is accepted (before, it answers `changeInProgress`).
    try await first.wait(until: .committedIndex(atLeast: 2), timeout: .seconds(10))
    try await first.addLearner(2, address: "node-2")
    try await first.addLearner(3, address: "node-3")
    try await first.changeMembership(.addVoterIDs([2, 3]))
}

extension GuideSuites {
    @Suite("Guide: Cluster formation")
    struct ClusterFormationTests {
        @Test func everyNodeInitializesWithTheSameMembership() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let router = InProcessRouter<KVTypes>()
                let nodes = try await startPristineNodes(1...3, router: router)
                try await formOnEveryNode(nodes)
                for node in nodes.values {
                    try await node.wait(until: .voters([1, 2, 3]), timeout: .seconds(10))
                    try await node.wait(until: .leader(), timeout: .seconds(10))
                }
                // Running the start-up script again changes nothing.
                try await formOnEveryNode(nodes)
                #expect(nodes.values.filter { $0.metrics.isLeader }.count <= 1)
                for node in nodes.values { await node.shutdown() }
            }
        }

        @Test func aOneNodeClusterGrowsToThree() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let router = InProcessRouter<KVTypes>()
                let nodes = try await startPristineNodes(1...3, router: router)
                try await growFromOneNode(nodes)
                #expect(nodes[1]!.metrics.membership.config.voterIDs == [1, 2, 3])
                try await nodes[3]!.wait(until: .voters([1, 2, 3]), timeout: .seconds(10))
                _ = try await nodes[1]!.write(.put(key: "k", value: "v"))
                for node in nodes.values { await node.shutdown() }
            }
        }
    }
}
