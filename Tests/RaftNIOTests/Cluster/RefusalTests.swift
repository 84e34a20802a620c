import Foundation
import Raft
import RaftCore
import RaftNIO
import Testing

/// Handshake and per-request refusals: each is a typed error on the caller's side and a
/// counted, logged closure or refusal on the server's; the server keeps serving.
@Suite("RaftNIO: refusals")
struct RefusalTests {
    /// A one-node cluster (node 1, cluster "test") to knock on.
    func singleNode() async throws -> NIOCluster {
        try await NIOCluster.started([1])
    }

    func vote(from transport: RaftNIOTransport<KVTypes>, to target: NodeID, at address: String, group: RaftGroupID = 0) async -> Result<VoteResponse, RPCError> {
        let client = transport.network(group: group).makeClient(for: target, address: address)
        let request = VoteRequest(vote: Vote(term: 1, votedFor: transport.nodeID), lastLogID: nil, isPreVote: true, rpcID: 1)
        do {
            return .success(try await client.vote(request, timeout: .seconds(10)))
        } catch {
            return .failure(error)
        }
    }

    func refusal(_ result: Result<VoteResponse, RPCError>) -> RefusalReason? {
        if case .failure(.refused(let reason, _)) = result { return reason }
        return nil
    }

    @Test func aPeerOfAnotherClusterIsRefused() async throws {
        let cluster = try await singleNode()
        var configuration = RaftNIOConfiguration(clusterID: "other")
        // Long enough that the second call surely falls within the back-off.
        configuration.minReconnectDelay = .seconds(10)
        configuration.maxReconnectDelay = .seconds(10)
        let stranger = try RaftNIOTransport<KVTypes>(nodeID: 2, configuration: configuration, logger: NIOCluster.logger)
        let result = await vote(from: stranger, to: 1, at: await cluster.address(1))
        #expect(refusal(result) == .wrongCluster)
        // While backing off, the next call fails at once with the same reason.
        #expect(refusal(await vote(from: stranger, to: 1, at: await cluster.address(1))) == .wrongCluster)
        let statistics = await cluster.server(1).statistics
        #expect(statistics.closures[.refused] == 1)
        #expect(statistics.recentClosures.last?.reason.category == .refused)
        #expect(statistics.establishedConnections == 0)
        await stranger.shutdown()
        await cluster.shutdown()
    }

    @Test func aConnectionMeantForAnotherNodeIsRefused() async throws {
        let cluster = try await singleNode()
        let peer = try RaftNIOTransport<KVTypes>(nodeID: 2, configuration: RaftNIOConfiguration(clusterID: "test"), logger: NIOCluster.logger)
        // Node 3's address book points at node 1's server.
        #expect(refusal(await vote(from: peer, to: 3, at: await cluster.address(1))) == .wrongNode)
        await peer.shutdown()
        await cluster.shutdown()
    }

    @Test func aRequestForAnUnknownGroupIsRefusedAndTheConnectionStays() async throws {
        let cluster = try await singleNode()
        let peer = try RaftNIOTransport<KVTypes>(nodeID: 2, configuration: RaftNIOConfiguration(clusterID: "test"), logger: NIOCluster.logger)
        #expect(refusal(await vote(from: peer, to: 1, at: await cluster.address(1), group: 42)) == .unknownGroup)
        // Group 0 on the same connection is served: node 1 leads it and gives a read index.
        let client = peer.network(group: 0).makeClient(for: 1, address: await cluster.address(1))
        let readIndex = try await client.readIndex(timeout: .seconds(10))
        #expect(readIndex != nil)
        let statistics = await cluster.server(1).statistics
        #expect(statistics.refusedRequests[.unknownGroup] == 1)
        #expect(statistics.establishedConnections == 1)
        await peer.shutdown()
        await cluster.shutdown()
    }

    @Test(.ownThread) func aPeerSpeakingOnlyNewerVersionsIsRefusedWithThatReason() async throws {
        let cluster = try await singleNode()
        let socket = try RawSocket(port: await cluster.members[1]!.port)
        socket.send(RawFrames.hello(versions: 5...6, clusterID: "test", sender: 2, target: 1))
        let answer = try #require(socket.readFrame())
        #expect(answer.kind == 3)
        #expect(answer.body.first == RawFrames.refusalCode(.unsupportedVersion))
        #expect(socket.waitClosed())
        await cluster.shutdown()
    }

    @Test func aRemovedNodeIsToldSoAndStopsCampaigning() async throws {
        let config = NIOCluster.fastConfig {
            $0.engine.electionTimeoutMin = .milliseconds(300)
            $0.engine.electionTimeoutMax = .milliseconds(500)
            $0.engine.leaseDuration = .milliseconds(200)
        }
        let cluster = try await NIOCluster.started([1, 2, 3], config: config)
        try await cluster.write(.put(key: "k", value: "v"))
        // A follower is down while the others remove it; it comes back believing it still votes.
        let leaderID = try await cluster.leader().id
        let victim: NodeID = leaderID == 3 ? 2 : 3
        let members = [1, 2, 3].filter { $0 != victim }
        await cluster.kill(victim)
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            do {
                try await cluster.leader(excluding: [victim]).changeMembership(.removeVoters([victim]))
                break
            } catch {
                // Leadership can move on a loaded machine; the change goes to whoever leads.
                guard ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        try await cluster.restart(victim)

        // It campaigns, and the members answer "removed".
        func removedAnswers() async -> Int {
            var total = 0
            for id in members { total += await cluster.server(id).statistics.refusedRequests[.removed] ?? 0 }
            return total
        }
        let answered = ContinuousClock.now + .seconds(15)
        while await removedAnswers() == 0, ContinuousClock.now < answered { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await removedAnswers() >= 1)

        // Held back, it sends no more campaigns for a while (without the notice it would
        // campaign every 300-500 ms).
        try await Task.sleep(for: .milliseconds(200))
        let settled = await removedAnswers()
        try await Task.sleep(for: .milliseconds(1500))
        #expect(await removedAnswers() == settled)
        #expect(await cluster.node(victim).metrics.state != .leader)
        await cluster.shutdown()
    }
}
