import Raft
import RaftTesting
import Testing

/// The calls a port from another Raft library usually starts with, on a one-node cluster:
/// each line names the call it replaces (openraft / etcd raft / hashicorp raft).
func portedCalls(_ node: RaftNode<KVTypes>) async throws -> KVResponse {
    // initialize(members) / StartNode(c, peers) / BootstrapCluster(configuration)
    try await node.initialize(Membership(voters: [node.id: "node-\(node.id)"]))
    // wait(timeout).state(Leader) / Status().RaftState / LeaderCh()
    try await node.wait(until: .state(.leader), timeout: .seconds(10))
    // client_write(cmd) / Propose + wait for the entry to apply / Apply(cmd, timeout).Response()
    let response = try await node.write(.put(key: "ported", value: "yes"), timeout: .seconds(5))
    // ensure_linearizable(ReadIndex) / ReadIndex(ctx, rctx) / VerifyLeader() + Barrier()
    try await node.ensureLinearizable(policy: .readIndex)
    // add_learner(id, node, true) / ProposeConfChange(AddLearnerNode) / AddNonvoter(id, addr, 0, timeout)
    try await node.addLearner(2, address: "node-2", waitUntilCaughtUp: false)
    // change_membership_if(..) / ConfChangeV2 with a check of the applied config / RemoveServer(id, prevIndex, timeout)
    try await node.changeMembership(.removeLearners([2]), ifCurrent: .some(node.metrics.membership.logID))
    // trigger().snapshot() / CreateSnapshot + Compact / Snapshot()
    node.triggerSnapshot()
    try await node.wait(until: .snapshot(atLeast: 1), timeout: .seconds(10))
    return response
}

extension GuideSuites {
    @Suite("Guide: Comparison")
    struct ComparisonTests {
        @Test func thePortedCallsRunOnAOneNodeCluster() async throws {
            let router = InProcessRouter<KVTypes>()
            let node = try await RaftNode.start(
                id: 1, config: withGenerousTimeouts(), logStore: MemoryLogStore<KVTypes>(), stateMachine: MemoryKVStateMachine(),
                network: router.network(for: 1))
            router.register(node)
            #expect(try await portedCalls(node) == .written(previous: nil))
            #expect(node.metrics.membership.config.learners.isEmpty)
            await node.shutdown()
        }
    }
}
