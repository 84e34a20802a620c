import Testing
@testable import RaftCore

/// Regression tests for engine bugs the deterministic simulator (`raft-sim`) found. Each
/// names the seed that found it; the seed may replay differently once the engine changes.
@Suite("Simulator-found bugs")
struct SimulatorFoundTests {
    /// raft-sim seed 43 (also 28, 30, 58), field lesson 4: a follower restarted with
    /// committed entries to apply reads them from storage; a snapshot install starts while
    /// that read is out; the entries read were then applied after the snapshot, moving the
    /// state machine back from the snapshot's index to the entries'.
    @Test func entriesReadForApplyAreDroppedOnceASnapshotInstallStarted() throws {
        let entries = logWithTerms([1, 1, 1, 1, 1], members: [1, 2, 3])
        var recovered = recoveredState(entries: entries, vote: Vote(term: 2, votedFor: 1, committed: true), committed: entries.last!.logID)
        recovered.tailEntries = []
        var engine = TestEngine(id: 2, config: .testing(), recovered: recovered, now: RaftInstant(nanoseconds: 1_000_000_000), randomSeed: 1)
        let read = try #require(engine.takeCommands().entryReads.first, "nothing is cached: apply reads storage")

        let meta = SnapshotMeta<TestTypes>(
            lastLogID: lid(2, 1, 10), lastMembership: StoredMembership(logID: entries[0].logID, membership: membership([1, 2, 3])),
            snapshotID: "leader-snapshot-10")
        engine.receive(.installSnapshot(InstallSnapshotRequest(vote: Vote(term: 2, votedFor: 1, committed: true), meta: meta, rpcID: 5)), from: 1)
        #expect(engine.takeCommands().contains { if case .installSnapshot = $0 { return true } else { return false } })

        engine.entriesRead(id: read.id, entries: entries)
        #expect(engine.takeCommands().appliedBatches.isEmpty, "entries older than the snapshot must not reach the state machine after it")

        engine.snapshotInstalled(meta)
        #expect(engine.applied == meta.lastLogID)
        #expect(engine.takeCommands().appliedBatches.isEmpty)
    }

    /// raft-sim seed 101: the leader of a joint change {1,2,3} → {2} appended the final
    /// configuration, replicated it to node 1 but not to node 2, and died. Node 1 then saw
    /// itself as a learner and never campaigned; node 2, behind node 1, could not win without
    /// node 1's vote. A voter of the committed joint configuration must stay electable until
    /// the configuration that drops it commits.
    @Test func voterOfTheCommittedJointConfigCampaignsWhenTheFinalConfigIsStuck() throws {
        let cluster = try ManualCluster.withLeader(3, ids: [1, 2, 3])
        try cluster.changeMembership(.replaceVoters([2]), on: 3, retainRemovedVoters: true)
        var rounds = 0
        while cluster[3].effectiveMembership.config.isJoint {
            cluster.deliverRound()
            rounds += 1
            try #require(rounds < 50, "the joint configuration commits")
        }
        // The final configuration {2} is appended; only node 1 receives it, then the leader dies.
        _ = cluster.dropInFlight { _, to, _ in to == 2 }
        cluster.deliverRound { from, to, _ in from == 3 && to == 1 }
        cluster.isolated = [3]
        #expect(cluster[1].effectiveMembership.config.voterIDs == [2])
        #expect(logIDLess(cluster[2].lastLogID, cluster[1].lastLogID))

        cluster.run(for: .seconds(3))
        let leaders = cluster.leaders.filter { $0 != 3 }
        #expect(leaders == [2], "node 1 takes over, commits the final configuration and hands over to node 2")
        #expect(cluster[2].committedMembership.config.voterIDs == [2])
    }

    /// raft-sim seed 1757 (`--faults all,-clock-jumps`; also 13393 and 40082 when they were
    /// found): the committed configuration is {1,2,3} with learner 4. Leader 3 appended, without
    /// committing, the joint configuration promoting 4; leader 1 of the next term, elected
    /// without it, replicated its first entry only to learner 4, then lost its data (voting
    /// suspended). Node 3 needs 3 of {1,2,3,4} but learner 4's log is newer; node 2 needs node 3,
    /// whose log is newer. Learner 4, asked for a vote by a candidate whose log is older than
    /// its own, campaigns under its own configuration without counting itself, wins on {2,3},
    /// commits its entry and hands leadership to a voter; with pre-vote or without.
    @Test(arguments: [true, false])
    func learnerHoldingTheNewestLogIsElectedAndHandsOverToAVoter(preVote: Bool) throws {
        let cluster = ManualCluster.newestLogOnALearner(config: .testing { $0.preVote = preVote })
        #expect(cluster[3].effectiveMembership.config.isJoint)
        #expect(cluster[4].serverState == .learner)
        #expect(cluster[1].votingSuspended)

        cluster.run(for: .seconds(3))
        #expect(cluster.events(4).contains { if case .becameLeader = $0 { true } else { false } }, "the learner with the newest log is elected")
        #expect(cluster.events(4).contains(.steppedDown(reason: .handedOverToVoter)))
        let leader = try #require(cluster.leaders.first, "a voter leads")
        #expect(cluster.leaders.count == 1 && [2, 3].contains(leader))
        #expect(cluster[4].serverState == .learner)
        let entry = try #require(try cluster.propose(["after"], on: leader))
        cluster.stabilize()
        for id: NodeID in [2, 3, 4] {
            #expect(cluster[id].committed.indexOrZero >= entry.index, "node \(id)")
            #expect(cluster.appliedCommands(id) == ["a", "after"], "node \(id)")
        }
        #expect(cluster[4].logID(at: 4) == lid(3, 1, 4), "the learner's entry survived; node 3's uncommitted joint configuration did not")
        #expect(!cluster[3].effectiveMembership.config.isVoter(4))
    }

    /// Found while building the simulator (its traces showed every apply after a restart
    /// reading storage one batch at a time): the recovered tail entries never reached the
    /// entry cache, which started past the last entry.
    @Test func recoveredTailEntriesSeedTheCache() throws {
        let entries = logWithTerms([1, 1, 1, 1, 1], members: [1, 2, 3])
        let recovered = recoveredState(entries: entries, vote: Vote(term: 2, votedFor: 1, committed: true), committed: entries.last!.logID)
        var engine = TestEngine(id: 2, config: .testing(), recovered: recovered, now: RaftInstant(nanoseconds: 1_000_000_000), randomSeed: 1)
        let commands = engine.takeCommands()
        #expect(commands.entryReads.isEmpty, "the recovered tail is in memory")
        #expect(commands.appliedBatches.flatMap { $0.map(\.logID) } == entries.map(\.logID))
    }

    /// raft-sim seed 31, standard mode: node 1 campaigned in term 8 and lost to node 5. Its
    /// own uncommitted vote and the winner's committed vote were incomparable, so node 1
    /// rejected every append of term 8; pre-vote and leader stickiness then kept it out of
    /// the cluster for as long as node 5 led.
    @Test func losingCandidateFollowsTheWinnerOfItsTermInStandardMode() throws {
        let config = EngineConfig.testing { $0.leaderIDMode = .standard }
        let entries = logWithTerms([1], members: [1, 2, 3])
        var engine = TestEngine(
            id: 1, config: config, recovered: recoveredState(entries: entries, vote: Vote(term: 8, votedFor: 1)),
            now: RaftInstant(nanoseconds: 1_000_000_000), randomSeed: 1)
        _ = engine.takeCommands()
        engine.receive(appendRequest(term: 8, leader: 3, prev: entries[0].logID, [], commit: entries[0].logID), from: 3)
        let commands = engine.takeCommands()
        #expect(engine.vote == Vote(term: 8, votedFor: 3, committed: true))
        #expect(engine.currentLeader == 3)
        #expect(commands.savedVotes == [Vote(term: 8, votedFor: 3, committed: true)])
        #expect(!Vote(term: 8, votedFor: 2).isAtLeast(engine.vote, mode: .standard), "still no second grant in term 8")
    }

    /// raft-sim seed 423: the leader's log was purged through index 9; a restarted follower
    /// held a longer log from an older leader and answered a conflict past the purge point.
    /// The match point came out as the purge point itself, so the leader probed from index 10
    /// forever instead of sending its snapshot, and the cluster could not commit.
    @Test func conflictPastThePurgePointFallsBackToTheSnapshot() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.isolated = [2]
        try cluster.propose(["a", "b", "c"], on: 1)
        cluster.stabilize()
        cluster.compact(1)
        let purged = try #require(cluster[1].lastPurgedLogID)
        try cluster.propose(["d"], on: 1)
        let append = try #require(cluster.inFlight.last { $0.to == 2 && $0.message.isAppendWithEntries }?.message.appendRequest)
        #expect(append.prevLogID == purged)
        _ = cluster.dropInFlight { _, to, _ in to == 2 }
        cluster.isolated = []
        // Node 2 holds entries up to index 7 written by a leader older than any in the leader's log.
        let olderLeader = LeaderID(term: 1, nodeID: 0)
        let conflict = AppendEntriesResponse(vote: cluster[1].vote, rpcID: append.rpcID, outcome: .conflict(hintIndex: purged.index + 2, hintLeaderID: olderLeader))
        cluster.inject(.appendEntriesResponse(conflict), from: 2, to: 1)
        let toFollower = cluster.inFlightMessages(from: 1, to: 2)
        #expect(toFollower.contains { $0.installSnapshotRequest != nil }, "only the snapshot can tell the follower what is at the purge point")
        #expect(!toFollower.contains { $0.appendRequest?.prevLogID == purged }, "probing after the purge point is refused forever")
    }
}

extension Array where Element == EngineCommand<TestTypes> {
    fileprivate var entryReads: [(id: ReadID, range: Range<LogIndex>)] {
        compactMap { if case let .readEntries(id, range) = $0 { return (id, range) } else { return nil } }
    }

    fileprivate var appliedBatches: [[TestEntry]] {
        compactMap { if case .apply(let entries) = $0 { return entries } else { return nil } }
    }
}
