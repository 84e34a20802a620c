import Testing
@testable import RaftCore

/// Engine-level regressions for bugs that shipped in other Raft libraries
/// (`notes/field-lessons.md`), those not covered by the membership, snapshot, read, transfer
/// and bad-input suites.
@Suite("Field lessons")
struct FieldLessonTests {
    /// Lesson 14: a heartbeat (no entries) whose `prevLogID` the follower does not hold is a
    /// conflict, and its `leaderCommit` must not commit the follower's different entries.
    @Test func lesson14_emptyAppendStillDetectsConflictAtPrevLogID() throws {
        let cluster = ManualCluster(ids: [3])
        cluster.inject(appendRequest(term: 1, leader: 1, prev: nil, bootstrapEntries() + commandEntries(term: 1, leader: 1, 3...5), commit: lid(1, 1, 3)), from: 1, to: 3)
        cluster.inFlight.removeAll()

        // Leader 2 of term 2 wrote its own entry 5; its heartbeat claims 3 holds it.
        cluster.inject(appendRequest(term: 2, leader: 2, prev: lid(2, 2, 5), [], commit: lid(2, 2, 5), rpcID: 31), from: 2, to: 3)
        let response = try #require(cluster.inFlightMessages(from: 3, to: 2).compactMap(\.appendResponse).first)
        guard case let .conflict(hintIndex, hintLeaderID) = response.outcome else {
            Issue.record("expected a conflict, got \(response.outcome)")
            return
        }
        #expect(hintIndex <= 5)
        #expect(hintLeaderID.map { $0 < LeaderID(term: 2, nodeID: 2) } ?? true)
        #expect(cluster[3].committed == lid(1, 1, 3), "1-1-4 and 1-1-5 are not the leader's: not committed")
        #expect(cluster.appliedCommands(3) == ["c3"])

        // A heartbeat past the end of the log is a conflict too.
        cluster.inject(appendRequest(term: 2, leader: 2, prev: lid(2, 2, 9), [], commit: lid(2, 2, 9), rpcID: 32), from: 2, to: 3)
        let beyond = cluster.inFlightMessages(from: 3, to: 2).compactMap(\.appendResponse).last
        if case .success = beyond?.outcome { Issue.record("acknowledged a log it does not hold") }
        #expect(cluster[3].committed == lid(1, 1, 3))
    }

    /// Lesson 14, leader side: the conflict answer to a heartbeat sends the leader back to find
    /// the match point, and the follower converges.
    @Test func lesson14_leaderRepairsAFollowerThatAnsweredAHeartbeatWithAConflict() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a", "b"], on: 1)
        cluster.stabilize()
        // Node 3 loses its tail (disk replaced by an older copy): it only has 1...2.
        cluster.nodes[3]!.storedLog.removeAll { $0.index > 2 }
        cluster.nodes[3]!.storedCommitted = lid(1, 1, 2)
        cluster.nodes[3]!.snapshot = nil
        cluster.restart(3)
        cluster.with(1) { $0.triggerHeartbeat() }
        cluster.stabilize()
        #expect(cluster.events(1).contains(.followerLogReverted(peer: 3, previouslyMatched: lid(1, 1, 4))))
        #expect(cluster.storedLogIDs(3) == cluster.storedLogIDs(1))
        #expect(cluster[1].replication[3]?.matched == cluster[1].lastLogID)
    }

    /// Lesson 18: a follower that is empty (wiped) or far behind gets the log from the start,
    /// or a snapshot, with no index arithmetic going below zero on either side.
    @Test func lesson18_staleLastLogIDDoesNotUnderflowForAnEmptyOrFarBehindFollower() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3], config: .testing { $0.maxEntriesPerMessage = 4 })
        for batch in 0..<10 {
            try cluster.propose((0..<5).map { "c\(batch)-\($0)" }, on: 1)
            cluster.stabilize()
        }
        let last = try #require(cluster[1].lastLogID)
        #expect(cluster[1].replication[3]?.matched == last)

        // Node 3's storage is wiped while the leader believes it matched everything.
        cluster.addNode(3, recovered: RecoveredState(votingSuspended: true))
        cluster.with(1) { $0.triggerHeartbeat() }
        cluster.stabilize()
        #expect(cluster.events(1).contains(.followerLogReverted(peer: 3, previouslyMatched: last)))
        #expect(cluster.storedLogIDs(3) == cluster.storedLogIDs(1))
        #expect(cluster.appliedCommands(3).count == 50)

        // Far behind a compacted leader: wiped again, it is seeded by a snapshot.
        cluster.compact(1)
        try cluster.propose(["tail"], on: 1)
        cluster.stabilize()
        cluster.addNode(3, recovered: RecoveredState(votingSuspended: true))
        cluster.with(1) { $0.triggerHeartbeat() }
        cluster.stabilize()
        #expect(cluster.deliveredMessages(from: 1, to: 3).contains { $0.installSnapshotRequest != nil })
        #expect(cluster[3].lastLogID == cluster[1].lastLogID)
        #expect(cluster.appliedCommands(3).last == "tail")
    }

    /// Lesson 18, follower side: a probe far past the end of a short (or empty) log gets a
    /// hint inside the log, never an index the follower does not have.
    @Test func lesson18_conflictHintOfAShortOrEmptyLogStaysInsideIt() throws {
        let empty = ManualCluster(ids: [3])
        empty.inject(appendRequest(term: 7, leader: 1, prev: lid(7, 1, 1000), [], commit: lid(7, 1, 1000)), from: 1, to: 3)
        #expect(empty.inFlightMessages(from: 3, to: 1).compactMap(\.appendResponse).first?.outcome == .conflict(hintIndex: 0, hintLeaderID: nil))

        let short = ManualCluster(ids: [3])
        short.inject(appendRequest(term: 1, leader: 1, prev: nil, bootstrapEntries(), commit: lid(1, 1, 2)), from: 1, to: 3)
        short.inFlight.removeAll()
        short.inject(appendRequest(term: 7, leader: 1, prev: lid(7, 1, 1000), [], commit: lid(7, 1, 1000)), from: 1, to: 3)
        #expect(short.inFlightMessages(from: 3, to: 1).compactMap(\.appendResponse).first?.outcome == .conflict(hintIndex: 2, hintLeaderID: LeaderID(term: 1, nodeID: 1)))
        #expect(short[3].committed == lid(1, 1, 2))
    }

    /// Lesson 22: a heartbeat sent before newer entries, and delivered or answered after them,
    /// carries an old `prevLogID`; neither side may take that for a log going backwards.
    @Test func lesson22_heartbeatWithOldPrevLogIDIsNotMistakenForLogReversion() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        let matchedBefore = try #require(cluster[1].replication[2]?.matched)

        cluster.with(1) { $0.triggerHeartbeat() }
        let heartbeat = try #require(cluster.inFlight.first { $0.from == 1 && $0.to == 2 }?.message)
        #expect(heartbeat.appendRequest?.prevLogID == matchedBefore)
        try cluster.propose(["b", "c"], on: 1)
        let append = try #require(cluster.inFlight.last { $0.from == 1 && $0.to == 2 }?.message)
        #expect(append.isAppendWithEntries)
        cluster.inFlight.removeAll { $0.from == 1 && $0.to == 2 }

        // The follower gets the entries first, then the old heartbeat.
        cluster.inject(append, from: 1, to: 2)
        let followerLog = cluster.storedLogIDs(2)
        cluster.inject(heartbeat, from: 1, to: 2)
        #expect(cluster.storedLogIDs(2) == followerLog, "nothing truncated after the heartbeat's prevLogID")
        let answers = cluster.inFlight.filter { $0.from == 2 && $0.to == 1 }.map(\.message)
        #expect(answers.count == 2)
        #expect(answers.last?.appendResponse?.outcome == .success(matched: matchedBefore))
        cluster.inFlight.removeAll { $0.from == 2 && $0.to == 1 }

        // The leader gets the heartbeat's answer last.
        for answer in answers { cluster.inject(answer, from: 2, to: 1) }
        let progress = try #require(cluster[1].replication[2])
        #expect(progress.matched == cluster[1].lastLogID)
        #expect(progress.mode == .replicate)
        #expect(!cluster.events(1).contains { if case .followerLogReverted = $0 { true } else { false } })
        #expect(cluster.inFlightMessages(from: 1, to: 2).allSatisfy { !$0.isAppendWithEntries }, "nothing re-sent")
        // And in the other order.
        cluster.inject(answers[1], from: 2, to: 1)
        cluster.inject(answers[0], from: 2, to: 1)
        #expect(cluster[1].replication[2]?.matched == cluster[1].lastLogID)
        cluster.stabilize()
        #expect(cluster.appliedCommands(2) == ["a", "b", "c"])
    }
}
