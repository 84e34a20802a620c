import Raft
import RaftTesting
import Testing

@Suite("Runtime: cluster lifecycle", .serialized)
struct ClusterLifecycleTests {
    @Test func singleNodeInitializesAndWrites() async throws {
        let cluster = try await TestCluster.started([1])
        let leader = try await cluster.leader()
        let response = try await leader.write(.put(key: "k", value: "v"))
        #expect(response == .written(previous: nil))
        #expect(await cluster.stateMachine(1).value(forKey: "k") == "v")
        await cluster.shutdownAll()
    }

    @Test func threeNodesElectReplicateAndApplyEverywhere() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        for index in 0..<20 { try await cluster.write(.put(key: "k\(index)", value: "\(index)")) }
        let leader = try await cluster.leader()
        try await cluster.waitApplied(leader.metrics.lastLogIndex)
        for id: NodeID in [1, 2, 3] {
            #expect(await cluster.stateMachine(id).value(forKey: "k19") == "19", "node \(id)")
        }
        await cluster.shutdownAll()
    }

    @Test func fiveNodesFailOverWhenTheLeaderStops() async throws {
        let cluster = try await TestCluster.started([1, 2, 3, 4, 5])
        try await cluster.write(.put(key: "before", value: "1"))
        let first = try await cluster.leader()
        await cluster.stop(first.id)
        let second = try await cluster.leader(excluding: [first.id])
        #expect(second.id != first.id)
        try await cluster.write(.put(key: "after", value: "2"))
        try await cluster.waitApplied(second.metrics.lastLogIndex)
        for id in await cluster.runningIDs {
            #expect(await cluster.stateMachine(id).value(forKey: "before") == "1")
            #expect(await cluster.stateMachine(id).value(forKey: "after") == "2")
        }
        await cluster.shutdownAll()
    }

    @Test func writeToAFollowerIsForwardedToTheLeader() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        let follower = await cluster.node([1, 2, 3].first { $0 != leader.id }!)
        try await follower.wait(until: .leader(leader.id), timeout: .seconds(5))
        await #expect(throws: RaftError<String>.forwardToLeader(leaderID: leader.id, address: "node-\(leader.id)")) {
            _ = try await follower.write(.put(key: "k", value: "v"))
        }
        await cluster.shutdownAll()
    }

    @Test func initializeTwiceReportsAlreadyInitialized() async throws {
        let cluster = try await TestCluster.started([1])
        let node = await cluster.node(1)
        do {
            try await node.initialize(Membership(voters: [1: "node-1"]))
            Issue.record("expected alreadyInitialized")
        } catch {
            guard case .initialize(.alreadyInitialized) = error else { Issue.record("unexpected \(error)"); return }
        }
        await cluster.shutdownAll()
    }

    /// Field lesson 20: a single-node cluster restarts and keeps working.
    @Test func restartedNodesRecoverPersistedStateAndReapply() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        for index in 0..<10 { try await cluster.write(.put(key: "k\(index)", value: "\(index)")) }
        let leader = try await cluster.leader()
        let last = leader.metrics.lastLogIndex
        try await cluster.waitApplied(last)
        for id: NodeID in [1, 2, 3] { await cluster.stop(id) }
        for id: NodeID in [1, 2, 3] { try await cluster.start(id) }
        for id: NodeID in [1, 2, 3] {
            try await cluster.node(id).waitForRecovery(timeout: .seconds(10))
            #expect(await cluster.stateMachine(id).value(forKey: "k9") == "9", "node \(id) re-applied its committed log")
        }
        try await cluster.write(.put(key: "after-restart", value: "x"))
        await cluster.shutdownAll()
    }

    @Test func singleNodeClusterRestartsAndKeepsWorking() async throws {
        let cluster = try await TestCluster.started([1])
        try await cluster.write(.put(key: "a", value: "1"))
        _ = try await cluster.restart(1)
        try await cluster.node(1).waitForRecovery(timeout: .seconds(5))
        #expect(await cluster.stateMachine(1).value(forKey: "a") == "1")
        try await cluster.write(.put(key: "b", value: "2"))
        await cluster.shutdownAll()
    }

    @Test func invalidConfigurationIsRejectedWithTheFieldName() async throws {
        var config = RaftConfig()
        config.engine.electionTimeoutMax = config.engine.electionTimeoutMin
        do {
            _ = try await RaftNode<KVTypes>.start(id: 1, config: config, logStore: MemoryLogStore(), stateMachine: MemoryKVStateMachine(), network: InProcessRouter<KVTypes>().network(for: 1))
            Issue.record("expected a config error")
        } catch {
            guard case .config(let configError) = error else { Issue.record("unexpected \(error)"); return }
            #expect(configError.field == "engine.electionTimeoutMax")
        }
        var other = RaftConfig()
        other.snapshotChunkSize = 0
        #expect(other.validate()?.field == "snapshotChunkSize")
    }

    @Test func shutdownFailsPendingCallsAndLaterCalls() async throws {
        let cluster = try await TestCluster.started([1])
        let node = await cluster.node(1)
        await cluster.stop(1)
        await #expect(throws: RaftError<String>.shuttingDown) { _ = try await node.write(.put(key: "k", value: "v")) }
        #expect(node.metrics.runningState == .stopped)
    }
}
