import Raft
import RaftFileStore
import RaftTesting
import Testing

/// Real `RaftNode`s on the file store and the file-backed state machine: what a deployment runs.
@Suite("Durable cluster on the file store", .serialized)
struct DurableClusterTests {
    static func config() -> RaftConfig {
        var config = RaftConfig()
        config.engine.heartbeatInterval = .milliseconds(50)
        config.engine.electionTimeoutMin = .milliseconds(600)
        config.engine.electionTimeoutMax = .milliseconds(1200)
        config.engine.leaseDuration = .milliseconds(500)
        config.engine.snapshotPolicy = .everyAppliedEntries(25)
        config.engine.logsKeptAfterSnapshot = 5
        config.engine.purgeBatchSize = 5
        return config
    }

    struct Node {
        var raft: RaftNode<KVTypes>
        var log: FileLogStore<KVTypes>
        var stateMachine: FileBackedKVStateMachine
    }

    static func logDirectory(_ id: NodeID, in directory: TemporaryDirectory) -> String { directory.sub("node-\(id)/log") }

    static func start(_ id: NodeID, in directory: TemporaryDirectory, router: InProcessRouter<KVTypes>, storageLost: Bool = false) async throws -> Node {
        let log = try FileLogStore<KVTypes>(directory: logDirectory(id, in: directory))
        let stateMachine = try FileBackedKVStateMachine(directory: directory.sub("node-\(id)/snapshots"))
        let raft = try await RaftNode.start(id: id, config: config(), logStore: log, stateMachine: stateMachine, network: router.network(for: id),
                                            storageLost: storageLost, randomSeed: id)
        router.register(raft)
        return Node(raft: raft, log: log, stateMachine: stateMachine)
    }

    static func stop(_ node: Node, router: InProcessRouter<KVTypes>) async {
        router.unregister(node.raft.id)
        await node.raft.shutdown()
        await node.log.close()
    }

    static func leader(of nodes: [Node]) async throws -> RaftNode<KVTypes> {
        for _ in 0..<500 {
            let leaders = nodes.map(\.raft).filter { $0.metrics.isLeader && $0.metrics.committed?.term == $0.metrics.currentTerm }
            if leaders.count == 1 { return leaders[0] }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ClusterError.noLeader
    }

    enum ClusterError: Error { case noLeader }

    @Test func clusterSurvivesAFullRestartWithSnapshotsAndPurgedLogs() async throws {
        let directory = TemporaryDirectory("durable-cluster")
        defer { directory.remove() }
        let router = InProcessRouter<KVTypes>()
        var nodes: [Node] = []
        for id: NodeID in 1...3 { nodes.append(try await Self.start(id, in: directory, router: router)) }
        try await nodes[0].raft.initialize(Membership(voters: [1: "a", 2: "b", 3: "c"]))
        var leader = try await Self.leader(of: nodes)
        for index in 0..<80 { _ = try await leader.write(.put(key: "k\(index)", value: "\(index)")) }
        let last = leader.metrics.lastLogIndex
        for node in nodes { try await node.raft.wait(until: .appliedIndex(atLeast: last), timeout: .seconds(10)) }
        #expect(leader.metrics.purged.indexOrZero > 0, "snapshots were built and the log purged")

        for node in nodes { await Self.stop(node, router: router) }
        nodes = []
        for id: NodeID in 1...3 { nodes.append(try await Self.start(id, in: directory, router: router)) }
        for node in nodes {
            try await node.raft.waitForRecovery(timeout: .seconds(10))
            #expect(node.stateMachine.state.values["k0"] == "0", "node \(node.raft.id) restored from its snapshot")
            #expect(node.stateMachine.state.values["k79"] == "79", "node \(node.raft.id) re-applied its log")
        }
        leader = try await Self.leader(of: nodes)
        _ = try await leader.write(.put(key: "after-restart", value: "yes"))
        try await leader.ensureLinearizable()
        #expect(nodes.first { $0.raft.id == leader.id }!.stateMachine.state.values["after-restart"] == "yes")
        for node in nodes { await Self.stop(node, router: router) }
    }
}
