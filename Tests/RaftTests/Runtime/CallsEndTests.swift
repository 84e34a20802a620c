import Raft
import RaftTesting
import Testing

/// No call waits forever: a write on a leader that loses its quorum, a call past its
/// deadline, a call whose task is cancelled all end, with an answer that says whether the
/// command may have been applied.
@Suite("Runtime: every call ends", .timeLimit(.minutes(1)))
struct CallsEndTests {
    /// A leader whose followers are all gone steps down (check-quorum) and answers its
    /// pending write as unknown within about two election timeouts, without any heal.
    @Test(arguments: [false, true])
    func writeOnALeaderThatLosesItsQuorumEnds(followersStopped: Bool) async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        let followers = [NodeID(1), 2, 3].filter { $0 != leader.id }
        if followersStopped {
            for id in followers { await cluster.stop(id) }
        } else {
            cluster.router.isolate(leader.id)
        }
        let start = ContinuousClock.now
        do {
            _ = try await leader.write(.put(key: "orphan", value: "x"))
            Issue.record("a leader without a quorum committed a write")
        } catch {
            #expect(error == .outcomeUnknown(.leadershipLost), "got \(error)")
            #expect(error.mayHaveBeenApplied && !error.isRetryable)
        }
        // Check-quorum (one electionTimeoutMax) plus the grace period (one more), with slack
        // for a loaded machine; far below the 30 s request timeout.
        #expect(ContinuousClock.now - start < .seconds(8))
        #expect(leader.metrics.isLeader == false)
        await cluster.shutdownAll()
    }

    /// With check-quorum off an isolated leader keeps leading: its write ends at the call's
    /// deadline, or the configured default one, as unknown (the entry may still commit).
    @Test func writePastItsDeadlineEndsAsUnknown() async throws {
        let config = TestCluster.fastConfig {
            $0.engine.checkQuorum = false
            $0.requestTimeout = .milliseconds(400)
        }
        let cluster = try await TestCluster.started([1, 2, 3], config: config)
        let leader = try await cluster.leader()
        cluster.router.isolate(leader.id)
        await #expect(throws: RaftError<String>.outcomeUnknown(.deadlineExceeded)) {
            _ = try await leader.write(.put(key: "k", value: "explicit"), timeout: .milliseconds(200))
        }
        await #expect(throws: RaftError<String>.outcomeUnknown(.deadlineExceeded)) {
            _ = try await leader.write(.put(key: "k", value: "default"))
        }
        let results = await leader.writeMany([.put(key: "a", value: "1"), .put(key: "b", value: "2")], timeout: .milliseconds(200))
        #expect(results.map { $0.failure } == [.outcomeUnknown(.deadlineExceeded), .outcomeUnknown(.deadlineExceeded)])
        // A read changes nothing, so its timeout is a plain, retryable one.
        await #expect(throws: RaftError<String>.timeout) {
            try await leader.ensureLinearizable(timeout: .milliseconds(200))
        }
        #expect(leader.metrics.isLeader, "still leading: only the calls ended")
        await cluster.shutdownAll()
    }

    /// Cancelling the caller's task ends its call at once.
    @Test func cancelledCallsEnd() async throws {
        let config = TestCluster.fastConfig { $0.engine.checkQuorum = false }
        let cluster = try await TestCluster.started([1, 2, 3], config: config)
        let leader = try await cluster.leader()
        cluster.router.isolate(leader.id)
        let write = Task { () -> RaftError<String>? in
            do throws(RaftError<String>) {
                _ = try await leader.write(.put(key: "k", value: "v"))
                return nil
            } catch { return error }
        }
        let read = Task { () -> RaftError<String>? in
            do throws(RaftError<String>) {
                try await leader.ensureLinearizable()
                return nil
            } catch { return error }
        }
        // Once proposed (the leader's log grew), the write's fate is unknown.
        let before = leader.metrics.lastLogIndex
        try await leader.wait(until: MetricsCondition("write proposed") { $0.lastLogIndex > before }, timeout: .seconds(5))
        let start = ContinuousClock.now
        write.cancel()
        read.cancel()
        #expect(await write.value == .outcomeUnknown(.cancelled))
        #expect(await read.value == .cancelled)
        #expect(ContinuousClock.now - start < .seconds(2), "answered at once, not at a deadline")
        await cluster.shutdownAll()
    }

    /// A wait for a condition that never comes ends when its task is cancelled, not at its
    /// timeout: a task group that waits for the node to stop, and stops the node only after
    /// the group ends, must not deadlock (raft-kv's SIGTERM hung this way). Both orders: the
    /// cancellation before the waiter is listed and after.
    @Test(arguments: [false, true])
    func waitOfACancelledTaskEnds(cancelFirst: Bool) async throws {
        let cluster = try await TestCluster.started([1])
        let node = try await cluster.leader()
        let start = ContinuousClock.now
        let outcome = await withTaskGroup(of: RaftError<String>?.self) { group in
            group.addTask {
                if cancelFirst { withUnsafeCurrentTask { $0?.cancel() } }
                do throws(RaftError<String>) {
                    try await node.wait(until: .stopped, timeout: .seconds(3600))
                    return nil
                } catch { return error }
            }
            if !cancelFirst { try? await Task.sleep(for: .milliseconds(100)) }
            group.cancelAll()
            return await group.next() ?? nil
        }
        #expect(outcome == .cancelled)
        // Far below the wait's hour, with room for a test process stalled beside builds.
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(node.metrics.runningState == .running)
        await cluster.shutdownAll()
    }

    /// A task already cancelled when it writes is refused before anything is proposed.
    @Test func writeOfACancelledTaskIsNotProposed() async throws {
        let cluster = try await TestCluster.started([1])
        let leader = try await cluster.leader()
        let before = leader.metrics.lastLogIndex
        let outcome = Task { () -> RaftError<String>? in
            withUnsafeCurrentTask { $0?.cancel() }
            do throws(RaftError<String>) {
                _ = try await leader.write(.put(key: "never", value: "x"))
                return nil
            } catch { return error }
        }
        #expect(await outcome.value == .cancelled)
        #expect(RaftError<String>.cancelled.isRetryable == false && RaftError<String>.cancelled.mayHaveBeenApplied == false)
        // A later write goes through, and the cancelled one never reached the log.
        _ = try await leader.write(.put(key: "after", value: "y"))
        #expect(leader.metrics.lastLogIndex == before + 1)
        #expect(await cluster.stateMachine(leader.id).value(forKey: "never") == nil)
        await cluster.shutdownAll()
    }

    /// A membership change and a transfer pending on a leader that loses its quorum end
    /// when check-quorum steps it down: the change as unknown (its entry may still commit),
    /// the transfer as a retryable loss of leadership (it changed nothing).
    @Test func membershipChangeAndTransferOnALeaderThatLosesItsQuorumEnd() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        let target = [NodeID(1), 2, 3].first { $0 != leader.id }!
        cluster.router.isolate(leader.id)
        let start = ContinuousClock.now
        async let change = Self.failure { _ = try await leader.changeMembership(.addLearners([4: "node-4"])) }
        async let transfer = Self.failure { try await leader.transferLeader(to: target) }
        let (changeError, transferError) = await (change, transfer)
        #expect(changeError == .outcomeUnknown(.leadershipLost), "got \(String(describing: changeError))")
        #expect(transferError?.isRetryable == true && transferError?.mayHaveBeenApplied == false, "got \(String(describing: transferError))")
        #expect(ContinuousClock.now - start < .seconds(8))
        #expect(leader.metrics.isLeader == false)
        await cluster.shutdownAll()
    }

    /// With check-quorum off an isolated leader keeps leading: a membership change ends at
    /// its deadline as unknown, a transfer to an unreachable voter as a timeout; cancelling
    /// either's task ends it at once.
    @Test func membershipChangeAndTransferEndAtTheirDeadlineOrOnCancellation() async throws {
        let config = TestCluster.fastConfig { $0.engine.checkQuorum = false }
        let cluster = try await TestCluster.started([1, 2, 3], config: config)
        let leader = try await cluster.leader()
        let target = [NodeID(1), 2, 3].first { $0 != leader.id }!
        cluster.router.isolate(leader.id)
        let changeError = await Self.failure { _ = try await leader.changeMembership(.addLearners([4: "node-4"]), timeout: .milliseconds(300)) }
        #expect(changeError == .outcomeUnknown(.deadlineExceeded), "got \(String(describing: changeError))")
        let transferError = await Self.failure { try await leader.transferLeader(to: target, timeout: .milliseconds(300)) }
        #expect(transferError?.isRetryable == true && transferError?.mayHaveBeenApplied == false, "got \(String(describing: transferError))")

        // The first change's entry is still pending, so a second change waits behind it or
        // is refused; either way, cancelling its task ends it.
        let cancelledChange = Task { await Self.failure { _ = try await leader.changeMembership(.addLearners([5: "node-5"])) } }
        let cancelledTransfer = Task { await Self.failure { try await leader.transferLeader(to: target) } }
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        cancelledChange.cancel()
        cancelledTransfer.cancel()
        let afterCancel = (await cancelledChange.value, await cancelledTransfer.value)
        #expect(afterCancel.0 != nil && afterCancel.1 != nil)
        #expect(ContinuousClock.now - start < .seconds(2), "answered at once, not at a deadline: \(String(describing: afterCancel))")
        #expect(leader.metrics.isLeader, "still leading: only the calls ended")
        await cluster.shutdownAll()
    }

    static func failure(_ call: () async throws -> Void) async -> RaftError<String>? {
        do {
            try await call()
            return nil
        } catch let error as RaftError<String> {
            return error
        } catch {
            Issue.record("not a RaftError: \(error)")
            return nil
        }
    }

    /// A leader that removed itself answers later writes with a distinct, final error rather
    /// than a retryable redirect to nobody.
    @Test func removedLeaderAnswersNotAMember() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        try await leader.changeMembership(.removeVoters([leader.id]))
        try await leader.wait(until: MetricsCondition("stepped down") { !$0.isLeader }, timeout: .seconds(5))
        do {
            _ = try await leader.write(.put(key: "k", value: "v"))
            Issue.record("a removed node accepted a write")
        } catch {
            #expect(error == .notAMember, "got \(error)")
            #expect(!error.isRetryable && !error.mayHaveBeenApplied)
        }
        _ = try await cluster.leader(excluding: [leader.id])
        await cluster.shutdownAll()
    }

    /// A transfer to a node that may not campaign fails at once with the reason, instead of
    /// timing out.
    @Test func transferToANodeWithSuspendedVotingIsRefused() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        let victim = [NodeID(1), 2, 3].first { $0 != leader.id }!
        await cluster.stop(victim)
        await cluster.wipe(victim)
        let restarted = try await cluster.start(victim, storageLost: true)
        try await restarted.wait(until: .appliedIndex(atLeast: leader.metrics.lastLogIndex), timeout: .seconds(10))
        // The leader learns of the suspension from the follower's next answer.
        try await leader.wait(
            until: MetricsCondition("victim answered") { ($0.replication[victim]?.matched.indexOrZero ?? 0) > 0 }, timeout: .seconds(5))
        try await Task.sleep(for: cluster.config.engine.heartbeatInterval * 2)
        await #expect(throws: RaftError<String>.leaderTransfer(.targetVotingSuspended(victim))) {
            try await leader.transferLeader(to: victim)
        }
        #expect(leader.metrics.isLeader)
        await cluster.shutdownAll()
    }

    /// Adding a learner that already is one appends nothing and answers with the membership
    /// that has it.
    @Test func addingALearnerTwiceAppendsOnce() async throws {
        let cluster = try await TestCluster.started([1, 2, 3])
        try await cluster.start(4)
        let leader = try await cluster.leader()
        let first = try await leader.addLearner(4, address: "node-4")
        let lastBefore = leader.metrics.lastLogIndex
        let second = try await leader.addLearner(4, address: "node-4")
        #expect(second == first)
        #expect(leader.metrics.lastLogIndex == lastBefore, "no new membership entry")
        await cluster.shutdownAll()
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// README's promise: a command whose outcome was unknown can be retried safely when the
/// state machine deduplicates it by client and sequence number.
@Suite("Runtime: exactly-once retries", .timeLimit(.minutes(1)))
struct ExactlyOnceRetryTests {
    /// The write times out while its entry is still on its way to the followers; the entry
    /// commits afterwards; then the client retries.
    func retryAfterADeadline(_ command: KVCommand) async throws -> (first: RaftError<String>?, retry: KVResponse) {
        let cluster = try await TestCluster.started([1, 2, 3])
        let leader = try await cluster.leader()
        for id in [NodeID(1), 2, 3] where id != leader.id { cluster.router.delay(to: id, by: .milliseconds(300)) }
        var first: RaftError<String>?
        do { _ = try await leader.write(command, timeout: .milliseconds(100)) } catch { first = error }
        let proposed = leader.metrics.lastLogIndex
        try await leader.wait(until: .appliedIndex(atLeast: proposed), timeout: .seconds(10))
        cluster.router.healAll()
        let retry = try await cluster.write(command)
        await cluster.shutdownAll()
        return (first, retry)
    }

    @Test func aCompareAndSetRetriedAfterItsDeadlineAppliesOnce() async throws {
        let (first, retry) = try await retryAfterADeadline(
            .exactlyOnce(client: 42, sequence: 1, command: .compareAndSet(key: "lock", expected: nil, new: "mine")))
        #expect(first == .outcomeUnknown(.deadlineExceeded))
        #expect(retry == .compareAndSet(succeeded: true, current: "mine"), "the retry is answered with the first result")
    }

    /// The same retry without a session applies twice: the hazard the session removes.
    @Test func withoutASessionTheRetryAppliesAgain() async throws {
        let (first, retry) = try await retryAfterADeadline(.compareAndSet(key: "lock", expected: nil, new: "mine"))
        #expect(first == .outcomeUnknown(.deadlineExceeded))
        #expect(retry == .compareAndSet(succeeded: false, current: "mine"))
    }
}
