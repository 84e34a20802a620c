import Testing
@testable import RaftCore

/// Lease reads skip the confirmation round while a quorum acknowledged the leader within the
/// lease, and fall back to a round once it expired.
@Suite("Reads: leader lease")
struct LeaseReadTests {
    @Test func leaseReadIsServedWithoutARoundWhileTheLeaseIsValid() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        cluster.advance(by: .milliseconds(20))
        #expect(cluster.inFlight.isEmpty)

        cluster.with(1) { $0.requestRead(token: 1, policy: .lease) }
        #expect(cluster.replies(1, token: 1) == [.readIndex(.success(cluster[1].committed))])
        #expect(cluster.inFlight.isEmpty, "no confirmation round")
    }

    @Test func leaseReadFallsBackToARoundOnceTheLeaseExpired() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.advance(by: cluster.config.leaseDuration + .milliseconds(10))
        let heartbeatsBefore = cluster.inFlightMessages(from: 1).count

        cluster.with(1) { $0.requestRead(token: 1, policy: .lease) }
        #expect(cluster.replies(1, token: 1).isEmpty)
        #expect(cluster.inFlightMessages(from: 1).count == heartbeatsBefore + 2, "a round to both peers")

        cluster.stabilize()
        #expect(cluster.replies(1, token: 1) == [.readIndex(.success(cluster[1].committed))])
        // The acknowledgements renewed the lease.
        cluster.with(1) { $0.requestRead(token: 2, policy: .lease) }
        #expect(cluster.replies(1, token: 2).count == 1)
    }

    @Test func leaseOfAFreshLeaderIsNotValidBeforeAnyAcknowledgement() throws {
        let cluster = ManualCluster(ids: [1, 2, 3])
        try cluster.nodes[1]!.engine.initialize(membership([1, 2, 3]))
        cluster.process(1)
        for _ in 0..<10 where !cluster[1].isLeader { cluster.deliverRound() }
        #expect(cluster[1].isLeader)
        cluster.with(1) { $0.requestRead(token: 1, policy: .lease) }
        #expect(cluster.replies(1, token: 1).isEmpty)
        cluster.stabilize()
        #expect(cluster.replies(1, token: 1).count == 1)
    }

    /// Regression: the transfer target is elected at once (voters grant a transfer campaign
    /// although they heard from the leader within the lease), so a leader that started a
    /// transfer must not trust its lease: it served a stale read after a write committed
    /// under the new leader.
    @Test func leaderDoesNotServeLeaseReadsOnceItStartedATransfer() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        let oldCommit = cluster[1].committed

        try cluster.with(1) { try $0.transferLeadership(to: 2, token: nil) }
        // 2 campaigns and wins with 3; 1 hears nothing of it yet.
        cluster.stabilize(holding: [1])
        cluster.inFlight.removeAll { $0.to == 1 }
        cluster.deliver(from: 1, to: 2)
        cluster.stabilize(holding: [1])
        #expect(cluster.leaders.contains(2))
        try cluster.propose(["b"], on: 2)
        cluster.stabilize(holding: [1])
        #expect(cluster.appliedCommands(3) == ["a", "b"])
        cluster.inFlight.removeAll { $0.to == 1 }

        #expect(cluster[1].isLeader, "1 has not heard of the new leader")
        cluster.with(1) { $0.requestRead(token: 5, policy: .lease) }
        #expect(cluster.replies(1, token: 5) != [.readIndex(.success(oldCommit))], "stale: 'b' is committed")
        cluster.stabilize()
        let replies = cluster.replies(1, token: 5)
        #expect(replies.count == 1)
        guard case .readIndex(.failure(.leadershipLost)) = replies.first else {
            Issue.record("expected leadershipLost, got \(replies)")
            return
        }
    }
}
