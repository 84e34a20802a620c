import Raft
import RaftTesting
import Testing

@Suite("Runtime: replication, snapshots, faults", .serialized)
struct ReplicationIntegrationTests {
    static func snapshotConfig() -> RaftConfig {
        TestCluster.fastConfig { config in
            config.engine.snapshotPolicy = .everyAppliedEntries(20)
            config.engine.logsKeptAfterSnapshot = 5
            config.engine.purgeBatchSize = 5
            config.snapshotChunkSize = 64
        }
    }

    @Test func followerCatchesUpAfterIsolation() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        let isolated = [NodeID(1), 2, 3].first { $0 != leader.id }!
        cluster.router.isolate(isolated)
        for index in 0..<30 { try await cluster.write(.put(key: "k\(index)", value: "\(index)")) }
        #expect(await cluster.stateMachine(isolated).value(forKey: "k29") == nil)
        cluster.router.healAll()
        let current = try await cluster.leader()
        try await cluster.node(isolated).wait(until: .appliedIndex(atLeast: current.metrics.lastLogIndex), timeout: .seconds(10))
        #expect(await cluster.stateMachine(isolated).value(forKey: "k29") == "29")
        await cluster.shutdownAll()
    }

    @Test func laggingFollowerIsCaughtUpWithAStreamedSnapshot() async throws {
        let cluster = try await TestCluster.started([1, 2, 3], config: Self.snapshotConfig())
        let leader = try await cluster.leader()
        let lagging = [NodeID(1), 2, 3].first { $0 != leader.id }!
        cluster.router.isolate(lagging)
        for index in 0..<60 { try await cluster.write(.put(key: "k\(index)", value: "\(index)")) }
        try await leader.wait(until: .purged(atLeast: 10), timeout: .seconds(10))
        cluster.router.healAll()
        try await cluster.node(lagging).wait(until: .appliedIndex(atLeast: leader.metrics.lastLogIndex), timeout: .seconds(10))
        let metrics = await cluster.node(lagging).metrics
        #expect(metrics.snapshot != nil, "the follower installed a snapshot")
        #expect(await cluster.stateMachine(lagging).value(forKey: "k0") == "0")
        #expect(await cluster.stateMachine(lagging).value(forKey: "k59") == "59")
        await cluster.shutdownAll()
    }

    /// Field lesson 11: membership survives two compactions and a restart.
    @Test func membershipIsRecoveredAfterTwoCompactionsAndARestart() async throws {
        let cluster = try await TestCluster.started([1], config: Self.snapshotConfig())
        for index in 0..<70 { try await cluster.write(.put(key: "k\(index)", value: "\(index)")) }
        try await cluster.node(1).wait(until: .purged(atLeast: 40), timeout: .seconds(10))
        let restarted = try await cluster.restart(1, keepStateMachine: true)
        try await restarted.waitForRecovery(timeout: .seconds(5))
        #expect(restarted.metrics.membership.config.voterIDs == [1])
        _ = try await cluster.leader()
        try await cluster.write(.put(key: "after", value: "x"))
        #expect(await cluster.stateMachine(1).value(forKey: "k0") == "0")
        await cluster.shutdownAll()
    }

    @Test func volatileStateMachineBehindAPurgedLogIsAStorageErrorNotAHang() async throws {
        let cluster = try await TestCluster.started([1], config: Self.snapshotConfig())
        for index in 0..<70 { try await cluster.write(.put(key: "k\(index)", value: "\(index)")) }
        try await cluster.node(1).wait(until: .purged(atLeast: 40), timeout: .seconds(10))
        await cluster.stop(1)
        do {
            try await cluster.start(1)
            Issue.record("a node that cannot rebuild its state must not start")
        } catch let error as RaftError<String> {
            guard case .storage(let storageError) = error else { Issue.record("unexpected \(error)"); return }
            #expect(storageError.subject == .stateMachine)
        }
    }

    /// Field lesson 24: a hung RPC to one follower does not block the leader.
    @Test func hungFollowerDoesNotBlockTheLeader() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        let slow = [NodeID(1), 2, 3].first { $0 != leader.id }!
        cluster.router.delay(to: slow, by: .seconds(30))
        let start = ContinuousClock.now
        for index in 0..<10 { _ = try await leader.write(.put(key: "k\(index)", value: "v")) }
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(leader.metrics.isLeader)
        cluster.router.healAll()
        await cluster.shutdownAll()
    }

    /// Field lesson 21: a snapshot to an unreachable node does not block replication to others.
    @Test func snapshotToAnUnreachableNodeDoesNotBlockOthers() async throws {
        let cluster = try await TestCluster.started([1, 2, 3, 4, 5], config: Self.snapshotConfig())
        let leader = try await cluster.leader()
        let unreachable = [NodeID(1), 2, 3, 4, 5].first { $0 != leader.id }!
        cluster.router.isolate(unreachable)
        for index in 0..<60 { try await cluster.write(.put(key: "k\(index)", value: "\(index)")) }
        try await leader.wait(until: .purged(atLeast: 10), timeout: .seconds(10))
        // The isolated node now needs a snapshot; replication to the rest goes on.
        for index in 60..<80 { try await cluster.write(.put(key: "k\(index)", value: "\(index)")) }
        let others = await cluster.runningIDs.filter { $0 != unreachable }
        try await cluster.waitApplied(leader.metrics.lastLogIndex, nodes: others)
        cluster.router.healAll()
        try await cluster.node(unreachable).wait(until: .appliedIndex(atLeast: leader.metrics.lastLogIndex), timeout: .seconds(10))
        await cluster.shutdownAll()
    }

    /// Field lesson 16: `lastApplied` moves only on an actual apply.
    @Test func appliedIndexMovesOnlyWithTheStateMachine() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        for index in 0..<5 { try await cluster.write(.put(key: "k\(index)", value: "\(index)")) }
        for id: NodeID in [1, 2, 3] {
            let node = await cluster.node(id)
            let sm = await cluster.stateMachine(id)
            let last = try await cluster.leader().metrics.lastLogIndex
            try await node.wait(until: .appliedIndex(atLeast: last), timeout: .seconds(5))
            // Read in this order, the published point can trail the state machine (a new
            // leader's blank entry may apply in between) but never lead it.
            let published = node.metrics.lastApplied.indexOrZero
            #expect(published >= last && published <= sm.state.lastApplied.indexOrZero)
        }
        await cluster.shutdownAll()
    }

    /// Field lesson 2: a restarted follower campaigns within about one election timeout.
    @Test func restartedFollowerElectsQuicklyWhenTheLeaderIsGone() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        try await cluster.write(.put(key: "k", value: "v"))
        for id in [NodeID(1), 2, 3] { await cluster.stop(id) }
        let survivors = [NodeID(1), 2, 3].filter { $0 != leader.id }
        let start = ContinuousClock.now
        for id in survivors { try await cluster.start(id) }
        _ = try await cluster.leader(timeout: .seconds(5))
        // Stickiness after restart + election timeout + pre-vote and vote rounds, with slack.
        #expect(ContinuousClock.now - start < cluster.config.engine.electionTimeoutMin + cluster.config.engine.electionTimeoutMax * 2 + .seconds(1))
        await cluster.shutdownAll()
    }

    /// Field lesson 23: a write whose entry is replaced answers with an error, never silence.
    @Test func writeOnADeposedLeaderIsAnsweredOnceItsIndexIsDecided() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let old = try await cluster.leader()
        cluster.router.isolate(old.id)
        let pending = Task { () -> Result<KVResponse, RaftError<String>> in
            do throws(RaftError<String>) { return .success(try await old.write(.put(key: "lost", value: "x"))) } catch { return .failure(error) }
        }
        let new = try await cluster.leader(excluding: [old.id])
        try await cluster.write(.put(key: "kept", value: "y"))
        cluster.router.healAll()
        let result = await pending.value
        switch result {
        case .success: Issue.record("the isolated leader's write cannot have committed")
        case .failure(let error): #expect(error == .writeFailed || error.mayHaveBeenApplied, "got \(error)")
        }
        try await old.wait(until: .leader(new.id), timeout: .seconds(5))
        #expect(await cluster.stateMachine(old.id).value(forKey: "lost") == nil)
        await cluster.shutdownAll()
    }
}
