import Foundation
import NIOPosix
import Raft
import RaftNIO
import Testing

/// Clusters of real nodes talking over real TCP sockets on 127.0.0.1.
@Suite("RaftNIO: clusters over loopback")
struct LoopbackClusterTests {
    @Test(arguments: [3, 5])
    func electsALeaderAndReplicatesWrites(size: Int) async throws {
        let ids = (1...NodeID(size)).map { $0 }
        let cluster = try await NIOCluster.started(ids)
        for index in 0..<20 {
            try await cluster.write(.put(key: "k\(index % 4)", value: "v\(index)"))
        }
        try await cluster.waitForValue("v19", at: "k3", on: ids)
        let leader = try await cluster.leader()
        // Every follower is replicating, none lags behind in probe mode.
        #expect(leader.metrics.replication.count == size - 1)
        let statistics = await cluster.server(leader.id).statistics
        #expect(statistics.closures[.badFrame] == nil)
        await cluster.shutdown()
    }
}

extension LoopbackClusterTests {
    @Test func killingTheLeadersServerFailsOverAndTheOldLeaderCatchesUpAfterRestart() async throws {
        let cluster = try await NIOCluster.started([1, 2, 3], durable: true)
        try await cluster.write(.put(key: "before", value: "1"))
        let old = try await cluster.leader()
        await cluster.kill(old.id)

        // The others elect a new leader and keep accepting writes.
        let successor = try await cluster.leader(excluding: [old.id])
        #expect(successor.id != old.id)
        try await cluster.write(.put(key: "after", value: "2"), excluding: [old.id])

        // The old leader comes back from its FileLogStore on its old port; its peers'
        // connections dial it afresh and it catches up.
        let restarted = try await cluster.restart(old.id)
        #expect(restarted.metrics.lastLogID != nil, "recovered its log from disk")
        try await cluster.waitForValue("2", at: "after", on: [old.id])
        #expect(await cluster.stateMachine(old.id).value(forKey: "before") == "1")
        await cluster.shutdown()
    }

    @Test func aLaggingFollowerReceivesASnapshotStreamedInChunks() async throws {
        let config = NIOCluster.fastConfig {
            $0.engine.snapshotPolicy = .everyAppliedEntries(20)
            $0.engine.logsKeptAfterSnapshot = 2
            $0.engine.purgeBatchSize = 1
            $0.snapshotChunkSize = 64
        }
        let cluster = try await NIOCluster.started([1, 2, 3], config: config)
        let leader = try await cluster.leader()
        let follower: NodeID = leader.id == 3 ? 2 : 3
        await cluster.kill(follower)
        for index in 0..<60 { try await cluster.write(.put(key: "key-\(index)", value: String(repeating: "x", count: 20)), excluding: [follower]) }
        try await leader.wait(until: MetricsCondition("log purged past 40") { $0.purged.indexOrZero > 40 }, timeout: .seconds(15))

        let restarted = try await cluster.restart(follower)
        try await cluster.waitForValue(String(repeating: "x", count: 20), at: "key-59", on: [follower])
        #expect(restarted.metrics.snapshot != nil, "caught up through a snapshot")
        // The chunks came on a connection of their own, beside the leader's main one.
        let statistics = await cluster.server(follower).statistics
        #expect(statistics.establishedSnapshotConnections == 1)
        #expect(statistics.establishedConnections >= 2)
        #expect(await cluster.stateMachine(follower).value(forKey: "key-59") == String(repeating: "x", count: 20))
        #expect(await cluster.stateMachine(follower).value(forKey: "key-0") == String(repeating: "x", count: 20))
        await cluster.shutdown()
    }

    @Test func aLearnerIsAddedCatchesUpAndIsPromoted() async throws {
        let cluster = try await NIOCluster.started([1, 2, 3])
        for index in 0..<10 { try await cluster.write(.put(key: "k\(index)", value: "v")) }
        try await cluster.add(4)
        try await cluster.start(4)
        let leader = try await cluster.leader()
        try await leader.addLearner(4, address: await cluster.address(4), timeout: .seconds(15))
        #expect(await cluster.node(4).metrics.state == .learner)
        try await leader.changeMembership(.addVoterIDs([4]))
        let membership = leader.metrics.committedMembership.config
        #expect(membership.voterIDs == [1, 2, 3, 4] && membership.learners.isEmpty)
        try await cluster.write(.put(key: "promoted", value: "yes"))
        try await cluster.waitForValue("yes", at: "promoted", on: [4])
        await cluster.shutdown()
    }

    @Test func followerReadsAskTheLeaderForAReadIndex() async throws {
        let cluster = try await NIOCluster.started([1, 2, 3])
        try await cluster.write(.put(key: "k", value: "v"))
        // A starved test machine can move leadership between finding the leader and asking
        // it: the read is then refused (changing nothing) and asked again of the new one.
        var answer: (reader: NodeID, index: LogID?)?
        for attempt in 1...5 where answer == nil {
            let leader = try await cluster.leader()
            let followerID = [1, 2, 3].first { $0 != leader.id }!
            let follower = await cluster.node(followerID)
            let client = await cluster.transport(followerID).network().makeClient(for: leader.id, address: await cluster.address(leader.id))
            do {
                answer = (followerID, try await follower.ensureLinearizable(via: client, timeout: .seconds(5)))
            } catch {
                guard error.isRetryable, attempt < 5 else { throw error }
            }
        }
        let (reader, readIndex) = try #require(answer)
        #expect(readIndex.indexOrZero >= 2)
        #expect(await cluster.stateMachine(reader).value(forKey: "k") == "v")
        await cluster.shutdown()
    }

    @Test func leadershipTransferSendsTimeoutNowOverTCP() async throws {
        let cluster = try await NIOCluster.started([1, 2, 3])
        var transferredTo: NodeID?
        for attempt in 1...5 where transferredTo == nil {
            let leader = try await cluster.leader()
            let target = [1, 2, 3].first { $0 != leader.id }!
            do {
                try await leader.transferLeader(to: target)
                transferredTo = target
            } catch {
                // Leadership moved by an election meanwhile (a starved machine): try again.
                guard error.isRetryable, attempt < 5 else { throw error }
            }
        }
        #expect(try await cluster.leader().id == transferredTo)
        await cluster.shutdown()
    }
}

extension LoopbackClusterTests {
    /// Each node's loop runs on the event loop of its own server and transport.
    @Test func nodesRunOnTheEventLoopsOfTheirConnections() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
        let configuration = RaftNIOConfiguration(clusterID: "loops")
        var servers: [RaftNIOServer<KVTypes>] = []
        var transports: [RaftNIOTransport<KVTypes>] = []
        var nodes: [RaftNode<KVTypes>] = []
        var machines: [MemoryKVStateMachine] = []
        var addresses: [NodeID: String] = [:]
        let loops = Array(group.makeIterator())
        for (offset, loop) in loops.enumerated() {
            let id = NodeID(offset + 1)
            let server = try RaftNIOServer<KVTypes>(nodeID: id, configuration: configuration, group: loop, logger: NIOCluster.logger)
            addresses[id] = "127.0.0.1:\(try await server.start())"
            servers.append(server)
        }
        for (offset, loop) in loops.enumerated() {
            let id = NodeID(offset + 1)
            let transport = try RaftNIOTransport<KVTypes>(nodeID: id, configuration: configuration, group: loop, logger: NIOCluster.logger)
            let machine = MemoryKVStateMachine()
            let node = try await RaftNode.start(
                id: id, config: NIOCluster.fastConfig(), logStore: MemoryLogStore<KVTypes>(), stateMachine: machine,
                network: transport.network(), logger: NIOCluster.logger, randomSeed: id, executor: EventLoopTaskExecutor(loop))
            servers[offset].serve(node)
            transports.append(transport)
            nodes.append(node)
            machines.append(machine)
        }
        try await nodes[0].initialize(Membership(voters: addresses))
        for index in 0..<10 { try await writeToLeader(nodes, .put(key: "k", value: "\(index)")) }
        let deadline = ContinuousClock.now + .seconds(10)
        while machines.contains(where: { $0.value(forKey: "k") != "9" }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(machines.allSatisfy { $0.value(forKey: "k") == "9" })
        for node in nodes { await node.shutdown() }
        for transport in transports { await transport.shutdown() }
        for server in servers { await server.shutdown() }
        try await group.shutdownGracefully()
    }
}
