import Testing
@testable import RaftCore

/// Linearizable reads by read index: a leader answers once a commit quorum of voters has
/// acknowledged a message sent after the request, and once the read point is applied.
@Suite("Reads: read index")
struct ReadIndexTests {
    private func readReplies(_ cluster: ManualCluster, _ id: NodeID, token: RequestToken) -> [EngineReply] {
        cluster.replies(id, token: token)
    }

    @Test func readOnAFollowerIsForwardedToTheLeader() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.with(2) { $0.requestRead(token: 1, policy: .readIndex) }
        #expect(cluster.replies(2, token: 1) == [.readIndex(.failure(.forwardToLeader(ForwardToLeader(leaderID: 1))))])
        #expect(cluster.inFlight.isEmpty, "no round is started by a follower")
    }

    @Test func readOnANodeWithoutLeaderIsForwardedToNobody() throws {
        let cluster = ManualCluster(ids: [1])
        cluster.with(1) { $0.requestRead(token: 1, policy: .lease) }
        #expect(cluster.replies(1, token: 1) == [.readIndex(.failure(.forwardToLeader(ForwardToLeader(leaderID: nil))))])
    }

    @Test func readWaitsForAQuorumToAcknowledgeARoundSentAfterTheRequest() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        let readPoint = cluster[1].committed

        // Heartbeats sent before the request prove nothing about the time of the request.
        cluster.with(1) { $0.triggerHeartbeat() }
        let earlier = Set(cluster.inFlight.map(\.message.rpcID))
        #expect(earlier.count == 2)
        cluster.with(1) { $0.requestRead(token: 7, policy: .readIndex) }
        let round = cluster.inFlight.filter { !earlier.contains($0.message.rpcID) }
        #expect(round.count == 2 && round.allSatisfy { $0.message.isHeartbeat }, "the request starts a round to every peer")

        cluster.deliverOnly { _, _, message in earlier.contains(message.rpcID) }
        cluster.deliverOnly { _, to, _ in to == 1 }
        #expect(cluster.replies(1, token: 7).isEmpty, "acknowledgements of earlier heartbeats do not count")

        cluster.deliver(from: 1, to: 2)
        #expect(cluster.replies(1, token: 7).isEmpty, "not acknowledged yet")
        cluster.deliver(from: 2, to: 1)
        #expect(cluster.replies(1, token: 7) == [.readIndex(.success(readPoint))], "leader + 2 are a quorum")
    }

    @Test func readWaitsUntilTheStateMachineAppliedTheReadPoint() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.autoApply = false
        let entry = try #require(try cluster.propose(["a"], on: 1))
        cluster.stabilize()
        #expect(cluster[1].committed == entry)
        #expect(cluster[1].applied != entry)

        cluster.with(1) { $0.requestRead(token: 3, policy: .readIndex) }
        cluster.stabilize()
        #expect(cluster.replies(1, token: 3).isEmpty, "confirmed, but the read point is not applied")
        cluster.completeApply(1)
        #expect(cluster.replies(1, token: 3) == [.readIndex(.success(entry))])
    }

    @Test func newLeaderReadWaitsForItsFirstEntryToCommit() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        let oldCommit = try #require(cluster[2].committed)

        // 1 is cut off; whoever wins next has its blank entry held back.
        cluster.isolated = [1]
        let isEntryAppend: (NodeID, NodeID, RaftMessage<TestTypes>) -> Bool = { _, _, message in message.isAppendWithEntries }
        var newLeader: NodeID?
        for _ in 0..<100 where newLeader == nil {
            cluster.advance(by: .milliseconds(10))
            cluster.stabilize(withholding: isEntryAppend)
            newLeader = cluster.leaders.first { $0 != 1 }
        }
        let leader = try #require(newLeader)
        let blank = try #require(cluster[leader].lastLogID)
        #expect(blank.index == oldCommit.index + 1)
        #expect(cluster[leader].committed == oldCommit)

        cluster.with(leader) { $0.requestRead(token: 9, policy: .readIndex) }
        cluster.stabilize(withholding: isEntryAppend)
        #expect(cluster.replies(leader, token: 9).isEmpty, "leadership confirmed, but the commit index is not known yet")

        cluster.stabilize()
        #expect(cluster[leader].committed == blank)
        #expect(cluster.replies(leader, token: 9) == [.readIndex(.success(blank))])
    }

    /// Field lesson 10: learners' acknowledgements never confirm leadership.
    @Test func readQuorumCountsOnlyVoters() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4, 5], via: 1)
        cluster.with(1) { $0.requestRead(token: 2, policy: .readIndex) }
        // Leader + learners 4 and 5 would be three of five nodes.
        cluster.stabilize(holding: [2, 3])
        #expect(cluster.deliveredMessages(from: 4, to: 1).last?.appendResponse != nil)
        #expect(cluster.replies(1, token: 2).isEmpty)
        cluster.stabilize(holding: [3])
        #expect(cluster.replies(1, token: 2).count == 1)
    }

    @Test func pendingReadFailsWithLeadershipLostWhenTheLeaderLosesQuorumContact() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.isolated = [1]
        cluster.with(1) { $0.requestRead(token: 4, policy: .readIndex) }
        cluster.advance(by: cluster.config.electionTimeoutMax + .milliseconds(10))
        #expect(cluster[1].isLeader == false)
        #expect(cluster.replies(1, token: 4) == [.readIndex(.failure(.leadershipLost(ForwardToLeader(leaderID: nil))))])
    }

    @Test func pendingReadFailsWithLeadershipLostPointingAtTheNewLeader() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.with(1) { $0.requestRead(token: 4, policy: .readIndex) }
        cluster.inFlight.removeAll()
        // Leader 2 of term 5 reaches the old leader.
        cluster.inject(appendRequest(term: 5, leader: 2, prev: cluster[1].lastLogID, [], commit: nil), from: 2, to: 1)
        #expect(cluster[1].isLeader == false)
        #expect(cluster.replies(1, token: 4) == [.readIndex(.failure(.leadershipLost(ForwardToLeader(leaderID: 2))))])
    }
}
