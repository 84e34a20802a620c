import Raft
import RaftTesting
import Testing

@Suite("Runtime: membership, reads, transfer", .serialized)
struct MembershipIntegrationTests {
    @Test func learnerIsAddedCatchesUpAndIsPromoted() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        for index in 0..<10 { try await cluster.write(.put(key: "k\(index)", value: "\(index)")) }
        try await cluster.start(4)
        let leader = try await cluster.leader()
        try await leader.addLearner(4, address: "node-4", waitUntilCaughtUp: true, timeout: .seconds(10))
        #expect(leader.metrics.membership.config.learners == [4])
        try await cluster.node(4).wait(until: .appliedIndex(atLeast: leader.metrics.committed.indexOrZero), timeout: .seconds(5))
        #expect(await cluster.stateMachine(4).value(forKey: "k9") == "9")
        #expect(await cluster.node(4).metrics.state == .learner)
        try await leader.changeMembership(.addVoterIDs([4]))
        try await leader.wait(until: .voters([1, 2, 3, 4]), timeout: .seconds(5))
        try await cluster.node(4).wait(until: .state(.follower), timeout: .seconds(5))
        await cluster.shutdownAll()
    }

    /// Field lesson 15: a removed follower stops receiving entries.
    @Test func removedFollowerStopsReceivingEntries() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        let removed = [NodeID(1), 2, 3].first { $0 != leader.id }!
        try await leader.changeMembership(.removeVoters([removed]), retainRemovedVoters: false)
        #expect(leader.metrics.membership.config.allNodeIDs == Set([1, 2, 3]).subtracting([removed]))
        try await cluster.write(.put(key: "after-removal", value: "x"))
        let before = cluster.router.rpcCount(to: removed)
        for index in 0..<5 { try await cluster.write(.put(key: "k\(index)", value: "x")) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(cluster.router.rpcCount(to: removed) == before, "no traffic to the removed node")
        #expect(await cluster.stateMachine(removed).value(forKey: "k4") == nil)
        await cluster.shutdownAll()
    }

    /// Field lesson 15: a removed leader steps down; clients get a useful answer, not a hang.
    @Test func removedLeaderStepsDownAndAnotherLeads() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        try await leader.changeMembership(.removeVoters([leader.id]), retainRemovedVoters: true)
        let next = try await cluster.leader(excluding: [leader.id])
        #expect(next.id != leader.id)
        try await leader.wait(until: .state(.learner), timeout: .seconds(5))
        do {
            _ = try await leader.write(.put(key: "k", value: "v"))
            Issue.record("the removed leader must not accept writes")
        } catch {
            guard case .forwardToLeader = error else { Issue.record("unexpected \(error)"); return }
        }
        try await cluster.write(.put(key: "k", value: "v"))
        await cluster.shutdownAll()
    }

    @Test func membershipChangeUnderConcurrentWritesLosesNothing() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        try await cluster.start(4)
        try await cluster.start(5)
        let leader = try await cluster.leader()
        try await leader.addLearner(4, address: "node-4")
        try await leader.addLearner(5, address: "node-5")
        let writer = Task {
            var acknowledged: [String] = []
            for index in 0..<100 {
                if (try? await cluster.write(.put(key: "w\(index)", value: "\(index)"))) != nil { acknowledged.append("w\(index)") }
            }
            return acknowledged
        }
        try await leader.changeMembership(.replaceVoters([1, 4, 5]), retainRemovedVoters: true)
        let acknowledged = await writer.value
        let current = try await cluster.leader()
        try await cluster.waitApplied(current.metrics.lastLogIndex, nodes: [1, 4, 5])
        for key in acknowledged {
            for id: NodeID in [1, 4, 5] { #expect(await cluster.stateMachine(id).value(forKey: key) != nil, "\(key) on \(id)") }
        }
        #expect(acknowledged.count == 100)
        await cluster.shutdownAll()
    }

    @Test func secondChangeWhileOneIsInFlightIsRejected() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        cluster.router.isolate([NodeID(1), 2, 3].first { $0 != leader.id }!)
        cluster.router.isolate([NodeID(1), 2, 3].last { $0 != leader.id }!)
        let first = Task { try await leader.changeMembership(.addLearners([9: "node-9"])) }
        try await Task.sleep(for: .milliseconds(50))
        do {
            try await leader.changeMembership(.addLearners([8: "node-8"]))
            Issue.record("expected changeInProgress")
        } catch {
            guard case .membershipChange(.changeInProgress) = error else { Issue.record("unexpected \(error)"); return }
        }
        cluster.router.healAll()
        _ = try await first.value
        await cluster.shutdownAll()
    }

    @Test func conditionalChangeAppliesOnlyToTheExpectedMembership() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        let seen = leader.metrics.membership.logID
        try await leader.changeMembership(.addLearners([7: "node-7"]), ifCurrent: seen)
        do {
            try await leader.changeMembership(.addLearners([8: "node-8"]), ifCurrent: seen)
            Issue.record("the membership changed since it was read")
        } catch {
            guard case .membershipChange(.membershipChanged) = error else { Issue.record("unexpected \(error)"); return }
        }
        await cluster.shutdownAll()
    }

    @Test func linearizableReadSurvivesALeaderChange() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        try await cluster.write(.put(key: "k", value: "1"))
        let first = try await cluster.leader()
        try await first.ensureLinearizable()
        #expect(await cluster.stateMachine(first.id).value(forKey: "k") == "1")
        await cluster.stop(first.id)
        let second = try await cluster.leader(excluding: [first.id])
        try await cluster.write(.put(key: "k", value: "2"))
        let readLogID = try await second.ensureLinearizable()
        #expect(readLogID.indexOrZero >= second.metrics.committed.indexOrZero - 1)
        #expect(await cluster.stateMachine(second.id).value(forKey: "k") == "2")
        // A follower read goes through the leader.
        let follower = await cluster.runningIDs.first { $0 != second.id }!
        try await cluster.node(follower).ensureLinearizable(via: cluster.router.network(for: follower).makeClient(for: second.id, address: nil), timeout: .seconds(2))
        #expect(await cluster.stateMachine(follower).value(forKey: "k") == "2")
        await cluster.shutdownAll()
    }

    @Test func readOnAFollowerIsForwardedAndLeaseReadsWork() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        try await cluster.write(.put(key: "k", value: "v"))
        let follower = await cluster.node([1, 2, 3].first { $0 != leader.id }!)
        try await follower.wait(until: .leader(leader.id), timeout: .seconds(5))
        await #expect(throws: RaftError<String>.forwardToLeader(leaderID: leader.id, address: "node-\(leader.id)")) {
            try await follower.ensureLinearizable()
        }
        try await leader.ensureLinearizable(policy: .lease)
        await cluster.shutdownAll()
    }

    @Test func leadershipTransfersToTheChosenVoter() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        let target = [NodeID(1), 2, 3].first { $0 != leader.id }!
        try await leader.transferLeader(to: target)
        let next = try await cluster.leader()
        #expect(next.id == target)
        try await cluster.write(.put(key: "after-transfer", value: "x"))
        do {
            try await next.transferLeader(to: 42)
            Issue.record("expected targetNotVoter")
        } catch {
            guard case .leaderTransfer(.targetNotVoter(42)) = error else { Issue.record("unexpected \(error)"); return }
        }
        await cluster.shutdownAll()
    }

    /// Field lesson 17: a learner stays a learner after restart; a node not in the
    /// configuration restarts as a learner, not as a candidate.
    @Test func learnerStaysALearnerAfterRestart() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        try await cluster.start(4)
        let leader = try await cluster.leader()
        try await leader.addLearner(4, address: "node-4")
        let restarted = try await cluster.restart(4)
        try await restarted.waitForRecovery(timeout: .seconds(5))
        #expect(restarted.metrics.state == .learner)
        try await Task.sleep(for: cluster.config.engine.electionTimeoutMax)
        #expect(restarted.metrics.state == .learner)
        #expect(leader.metrics.isLeader)
        await cluster.shutdownAll()
    }

    @Test func nodeWithLostStorageReplicatesButNeverVotesUntilResumed() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        for index in 0..<5 { try await cluster.write(.put(key: "k\(index)", value: "x")) }
        let leader = try await cluster.leader()
        let victim = [NodeID(1), 2, 3].first { $0 != leader.id }!
        await cluster.stop(victim)
        await cluster.wipe(victim)
        let restarted = try await cluster.start(victim, storageLost: true)
        try await restarted.wait(until: .appliedIndex(atLeast: leader.metrics.lastLogIndex), timeout: .seconds(10))
        #expect(restarted.metrics.votingSuspended)
        #expect(await cluster.stateMachine(victim).value(forKey: "k4") == "x")
        restarted.resumeVoting()
        try await restarted.wait(until: MetricsCondition("voting resumed") { !$0.votingSuspended }, timeout: .seconds(5))
        await cluster.shutdownAll()
    }
}
