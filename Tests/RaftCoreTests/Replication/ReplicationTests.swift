import Testing
@testable import RaftCore

@Suite("Replication")
struct ReplicationTests {
    func leaderAppend(_ cluster: ManualCluster, entries: [TestEntry], prev: LogID?, rpcID: UInt64 = 500) -> RaftMessage<TestTypes> {
        .appendEntries(AppendEntriesRequest(vote: cluster[1].vote, prevLogID: prev, entries: entries, leaderCommit: nil, rpcID: rpcID))
    }

    @Test func followerAcknowledgesEntriesOnlyOnceTheyAreDurable() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.autoFlush = false
        try cluster.propose(["a"], on: 1)
        cluster.deliverRound { _, to, _ in to == 2 }
        #expect(!cluster.inFlight.contains { $0.from == 2 && $0.message.appendResponse != nil }, "no ack before the flush")
        cluster.flush(2)
        let ack = try #require(cluster.inFlight.last { $0.from == 2 }?.message.appendResponse)
        #expect(ack.outcome == .success(matched: cluster[1].lastLogID))
    }

    @Test func heartbeatIsAnsweredWithoutWaitingForDisk() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        let durableBefore = cluster[2].lastLogID
        cluster.autoFlush = false
        try cluster.propose(["a", "b"], on: 1)
        cluster.deliverRound { _, to, _ in to == 2 }
        // A heartbeat asserting the new entries arrives while the follower's disk is busy.
        let heartbeat = leaderAppend(cluster, entries: [], prev: cluster[1].lastLogID, rpcID: 900)
        cluster.with(2) { $0.receive(heartbeat, from: 1) }
        let response = try #require(cluster.inFlight.last { $0.from == 2 && $0.message.rpcID == 900 }?.message.appendResponse)
        #expect(response.outcome == .success(matched: durableBefore), "answered at once, claiming only what is durable")
    }

    @Test func leaderCountsItselfTowardCommitOnlyOnceItsOwnFlushCompletes() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.isolated = [3]
        cluster.autoFlush = false
        let entry = try #require(try cluster.propose(["a"], on: 1))
        cluster.stabilize()
        cluster.flush(2)
        cluster.stabilize()
        #expect(cluster[1].committed.indexOrZero < entry.index, "follower 2 alone is not a quorum; the leader's copy is not durable")
        cluster.flush(1)
        cluster.stabilize()
        #expect(cluster[1].committed == entry)
    }

    @Test func leaderCommitsWhileItsOwnFlushIsStillRunning() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.autoFlush = false
        let entry = try #require(try cluster.propose(["a"], on: 1))
        cluster.stabilize()
        cluster.flush(2)
        cluster.flush(3)
        cluster.stabilize()
        #expect(cluster[1].committed == entry, "two durable followers are a quorum of three")
        #expect(cluster.appliedCommands(1).isEmpty, "but the leader applies only what it holds durably")
        cluster.flush(1)
        #expect(cluster.appliedCommands(1) == ["a"])
    }

    /// Field lesson 5: a stale or duplicate append must not delete entries after its match point.
    @Test func followerTruncatesOnlyAtARealConflict() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a", "b", "c"], on: 1)
        cluster.stabilize()
        let before = cluster.storedLogIDs(2)
        // Re-deliver an old append carrying only the first new entry.
        let old = try #require(cluster.delivered.first { $0.to == 2 && ($0.message.appendRequest?.entries.count ?? 0) > 0 && $0.message.appendRequest!.entries.contains { if case .command("a") = $0.payload { return true } else { return false } } })
        cluster.with(2) { $0.receive(old.message, from: 1) }
        cluster.stabilize()
        #expect(cluster.storedLogIDs(2) == before)
        #expect(cluster.appliedCommands(2) == ["a", "b", "c"])
    }

    @Test func pipelineRespectsTheInflightMessageLimit() throws {
        let config = EngineConfig.testing { $0.maxEntriesPerMessage = 1; $0.maxInflightMessages = 2 }
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3], config: config)
        try cluster.propose(["a", "b", "c", "d", "e"], on: 1)
        let toTwo = cluster.inFlight.filter { $0.to == 2 && !($0.message.appendRequest?.entries.isEmpty ?? true) }
        #expect(toTwo.count == 2)
        cluster.stabilize()
        #expect(cluster.appliedCommands(2) == ["a", "b", "c", "d", "e"])
    }

    @Test func pipelineRespectsTheInflightByteLimit() throws {
        let config = EngineConfig.testing { $0.maxEntriesPerMessage = 1; $0.maxInflightMessages = 100; $0.maxInflightBytes = 100 }
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3], config: config)
        try cluster.propose(Array(repeating: String(repeating: "x", count: 40), count: 6), on: 1)
        let toTwo = cluster.inFlight.filter { $0.to == 2 && !($0.message.appendRequest?.entries.isEmpty ?? true) }
        // 72 bytes per entry: the second message pushes past the 100-byte budget, a third is not sent.
        #expect(toTwo.count == 2)
        cluster.stabilize()
        #expect(cluster.appliedCommands(2).count == 6)
    }

    @Test func messagesCarryAtMostTheConfiguredEntriesAndBytes() throws {
        let config = EngineConfig.testing { $0.maxEntriesPerMessage = 3; $0.maxBytesPerMessage = 1 << 20 }
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3], config: config)
        try cluster.propose((0..<10).map { "c\($0)" }, on: 1)
        cluster.stabilize()
        let sizes = cluster.delivered.compactMap { $0.message.appendRequest?.entries.count }
        #expect(sizes.max()! <= 3)
        #expect(cluster.appliedCommands(3).count == 10)
    }

    /// Field lesson 6: more conflicting entries than one message holds do not live-lock.
    @Test func backTrackingOverManyConflictingEntriesConverges() throws {
        let members: Set<NodeID> = [1, 2, 3]
        let config = EngineConfig.testing { $0.maxEntriesPerMessage = 16 }
        let cluster = ManualCluster(ids: [], config: config)
        let shared = logWithTerms([1, 1], members: members)
        let stale = (3...2000).map { TestEntry(logID: lid(2, 102, LogIndex($0)), payload: .command("stale")) }
        let good = (3...40).map { TestEntry(logID: lid(3, 103, LogIndex($0)), payload: .command("good")) }
        cluster.addRecoveredNode(1, entries: shared + good, vote: Vote(term: 3, votedFor: 103, committed: true))
        cluster.addRecoveredNode(2, entries: shared + stale, vote: Vote(term: 3, votedFor: 103, committed: true))
        cluster.addRecoveredNode(3, entries: shared + good, vote: Vote(term: 3, votedFor: 103, committed: true))
        // Restarted nodes wait out their old leader's possible lease before voting.
        cluster.advance(by: cluster.config.electionTimeoutMin)
        cluster.with(1) { $0.triggerElection() }
        cluster.stabilize()
        #expect(cluster.leaders == [1])
        #expect(cluster.storedLogIDs(2) == cluster.storedLogIDs(1))
        #expect(cluster.delivered.filter { $0.to == 2 && $0.message.appendRequest != nil }.count < 20)
    }

    @Test func followersLearnTheCommitIndexAndApply() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        #expect(cluster[2].committed == cluster[1].committed)
        #expect(cluster.appliedCommands(3) == ["a"])
    }

    @Test func lostAppendIsResentAfterTheRequestTimesOut() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.droppedLinks = [[1, 2]]
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        cluster.droppedLinks = []
        #expect(cluster.appliedCommands(2).isEmpty)
        cluster.run(for: cluster.config.electionTimeoutMax + .milliseconds(60))
        #expect(cluster.appliedCommands(2) == ["a"])
        #expect(cluster.leaders == [1])
    }

    @Test func unreachablePeerIsRetriedOnlyAfterBackOff() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.isolated = [3]
        try cluster.propose(["a"], on: 1)
        let sent = try #require(cluster.inFlight.last { $0.to == 3 })
        cluster.stabilize()
        cluster.with(1) { $0.deliveryFailed(to: 3, rpcID: sent.message.rpcID) }
        cluster.isolated = []
        try cluster.propose(["b"], on: 1)
        #expect(!cluster.inFlight.contains { $0.to == 3 }, "no send during back-off")
        cluster.stabilize()
        cluster.run(for: cluster.config.minBackoff + .milliseconds(20))
        #expect(cluster.appliedCommands(3) == ["a", "b"])
    }

    @Test func duplicateAndReorderedResponsesDoNotMoveProgressBackwards() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        try cluster.propose(["b"], on: 1)
        cluster.stabilize()
        let matchedBefore = cluster[1].replication[2]?.matched
        let oldResponses = cluster.delivered.filter { $0.from == 2 && $0.message.appendResponse != nil }
        for old in oldResponses.reversed() { cluster.with(1) { $0.receive(old.message, from: 2) } }
        #expect(cluster[1].replication[2]?.matched == matchedBefore)
        try cluster.propose(["c"], on: 1)
        cluster.stabilize()
        #expect(cluster.appliedCommands(2) == ["a", "b", "c"])
    }

    @Test func proposalsInOneStepShareOneAppendAndOneMessagePerPeer() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        var engine = cluster[1]
        _ = try engine.propose(["a"])
        _ = try engine.propose(["b", "c"])
        let commands = engine.takeCommands()
        let appends = commands.filter { if case .appendEntries = $0 { return true } else { return false } }
        #expect(appends.count == 1)
        #expect(commands.appendedEntries.count == 3)
        #expect(commands.messages.filter { $0.to == 2 }.count == 1)
    }
}

extension ReplicationTests {
    /// Heartbeats are answered at once while appends wait for the follower's disk, so a
    /// heartbeat's answer routinely overtakes an earlier append's: it must not make the leader
    /// send entries still in flight again.
    @Test func heartbeatAnswerDoesNotRewindAppendsStillInFlight() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.autoFlush = false
        cluster.flush(1)
        try cluster.propose(["a", "b", "c"], on: 1)
        cluster.deliverOnly { from, to, message in from == 1 && to == 2 && !(message.appendRequest?.entries.isEmpty ?? true) }
        cluster.with(1) { $0.triggerHeartbeat() }
        cluster.deliverOnly { from, to, message in from == 1 && to == 2 && (message.appendRequest?.entries.isEmpty ?? false) }
        cluster.deliverOnly { from, to, _ in from == 2 && to == 1 }
        let resent = cluster.inFlight.filter { $0.from == 1 && $0.to == 2 && !($0.message.appendRequest?.entries.isEmpty ?? true) }
        #expect(resent.isEmpty, "entries still in flight were sent again")
        cluster.autoFlush = true
        for id: NodeID in [1, 2, 3] { cluster.flush(id) }
        cluster.stabilize()
        #expect(cluster.appliedCommands(2) == ["a", "b", "c"])
    }
}
