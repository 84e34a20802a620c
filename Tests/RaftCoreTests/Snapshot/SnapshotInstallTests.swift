import Testing
@testable import RaftCore

/// What a follower does with a snapshot from its leader. Node 3 is driven by hand-made
/// messages from leader 1 (term 1) or 2 (term 2); nodes 1 and 2 exist only as senders.
@Suite("Snapshot: installing on a follower")
struct SnapshotInstallTests {
    private let leader1 = Vote.leader(LeaderID(term: 1, nodeID: 1))
    private let leader2 = Vote.leader(LeaderID(term: 2, nodeID: 2))
    private let initialMembership = StoredMembership<TestTypes>(logID: lid(0, 0, 1), membership: membership([1, 2, 3]))

    /// Follower 3 holding `bootstrap + c3...c<last>` from leader 1, committed through `commit`.
    private func follower(lastIndex: LogIndex, commit: LogIndex) -> ManualCluster {
        let cluster = ManualCluster(ids: [3])
        cluster.inject(appendRequest(term: 1, leader: 1, prev: nil, bootstrapEntries() + commandEntries(term: 1, leader: 1, 3...lastIndex), commit: lid(1, 1, commit)), from: 1, to: 3)
        return cluster
    }

    private func sendSnapshot(_ cluster: ManualCluster, from leader: NodeID, vote: Vote, last: LogID, membership: StoredMembership<TestTypes>? = nil, commands: [String] = [], rpcID: UInt64 = 77) {
        let id = "snap-\(last)"
        cluster.snapshotsInTransit[id] = commands.enumerated().map { (lid(last.term, last.leaderID.nodeID, LogIndex($0.offset + 3)), $0.element) }
        let meta = SnapshotMeta(lastLogID: last, lastMembership: membership ?? initialMembership, snapshotID: id)
        cluster.inject(.installSnapshot(InstallSnapshotRequest(vote: vote, meta: meta, rpcID: rpcID)), from: leader, to: 3)
    }

    private func snapshotResponses(_ cluster: ManualCluster, to leader: NodeID) -> [InstallSnapshotResponse] {
        cluster.inFlightMessages(from: 3, to: leader).compactMap(\.installSnapshotResponse)
    }

    @Test func installKeepsTheLogSuffixThatContinuesTheSnapshot() throws {
        let cluster = follower(lastIndex: 7, commit: 4)
        sendSnapshot(cluster, from: 1, vote: leader1, last: lid(1, 1, 5))

        #expect(cluster[3].lastPurgedLogID == lid(1, 1, 5))
        #expect(cluster[3].lastLogID == lid(1, 1, 7))
        #expect(cluster.storedLogIDs(3) == [lid(1, 1, 6), lid(1, 1, 7)])
        #expect(cluster[3].committed == lid(1, 1, 5))
        #expect(cluster[3].applied == lid(1, 1, 5))
        #expect(snapshotResponses(cluster, to: 1).map(\.outcome) == [.installed(matched: lid(1, 1, 5))])
        // The kept entries are still usable: committing them applies them.
        cluster.inject(appendRequest(term: 1, leader: 1, prev: lid(1, 1, 7), [], commit: lid(1, 1, 7)), from: 1, to: 3)
        #expect(cluster[3].applied == lid(1, 1, 7))
        #expect(cluster.appliedCommands(3).suffix(2) == ["c6", "c7"])
    }

    @Test func installReplacesALogThatConflictsWithTheSnapshot() throws {
        let cluster = follower(lastIndex: 7, commit: 4)
        // Leader 2 (term 2) overwrote 5...7; its snapshot ends at 2-2-6.
        sendSnapshot(cluster, from: 2, vote: leader2, last: lid(2, 2, 6))

        #expect(cluster[3].lastPurgedLogID == lid(2, 2, 6))
        #expect(cluster[3].lastLogID == lid(2, 2, 6))
        #expect(cluster.storedLogIDs(3).isEmpty, "1-1-7 was not the leader's and is gone")
        #expect(cluster[3].committed == lid(2, 2, 6))
        #expect(cluster[3].applied == lid(2, 2, 6))
        #expect(snapshotResponses(cluster, to: 2).map(\.outcome) == [.installed(matched: lid(2, 2, 6))])
        // The next entry from leader 2 continues the snapshot.
        cluster.inject(appendRequest(term: 2, leader: 2, prev: lid(2, 2, 6), commandEntries(term: 2, leader: 2, 7...7), commit: lid(2, 2, 7)), from: 2, to: 3)
        #expect(cluster[3].applied == lid(2, 2, 7))
    }

    @Test func installReplacesALogThatEndsBeforeTheSnapshot() throws {
        let cluster = follower(lastIndex: 4, commit: 4)
        sendSnapshot(cluster, from: 1, vote: leader1, last: lid(1, 1, 9), commands: ["s3", "s4", "s5"])

        #expect(cluster[3].lastPurgedLogID == lid(1, 1, 9))
        #expect(cluster[3].lastLogID == lid(1, 1, 9))
        #expect(cluster[3].applied == lid(1, 1, 9))
        #expect(cluster.appliedCommands(3) == ["s3", "s4", "s5"], "the state machine holds the snapshot's state")
    }

    @Test func snapshotNotNewerThanTheCommitIndexIsAnsweredWithoutInstalling() throws {
        let cluster = follower(lastIndex: 7, commit: 6)
        let logBefore = cluster.storedLogIDs(3)
        sendSnapshot(cluster, from: 1, vote: leader1, last: lid(1, 1, 5))

        #expect(cluster.nodes[3]!.snapshot == nil, "no install executed")
        #expect(cluster.storedLogIDs(3) == logBefore)
        #expect(cluster[3].lastPurgedLogID == nil)
        #expect(cluster[3].committed == lid(1, 1, 6))
        #expect(snapshotResponses(cluster, to: 1).map(\.outcome) == [.installed(matched: lid(1, 1, 5))])
    }

    /// Field lesson 12: entries about to be replaced must not lend their membership.
    @Test func installTakesMembershipFromTheSnapshotNotFromEntriesItReplaces() throws {
        let cluster = follower(lastIndex: 4, commit: 4)
        // An uncommitted membership entry from leader 1 that leader 2 never had.
        let stale = TestEntry(logID: lid(1, 1, 5), payload: .membership(membership([1, 2, 3], learners: [9])))
        cluster.inject(appendRequest(term: 1, leader: 1, prev: lid(1, 1, 4), [stale], commit: lid(1, 1, 4)), from: 1, to: 3)
        #expect(cluster[3].effectiveMembership.logID == lid(1, 1, 5))

        sendSnapshot(cluster, from: 2, vote: leader2, last: lid(2, 2, 8))
        #expect(cluster[3].effectiveMembership == initialMembership)
        #expect(cluster[3].committedMembership == initialMembership)
        #expect(cluster[3].effectiveMembership.config.learners.isEmpty)
    }

    /// The other side of lesson 12: a membership entry in a kept suffix stays in force.
    @Test func installKeepsMembershipOfTheKeptSuffix() throws {
        let cluster = follower(lastIndex: 5, commit: 4)
        let later = TestEntry(logID: lid(1, 1, 6), payload: .membership(membership([1, 2, 3], learners: [9])))
        cluster.inject(appendRequest(term: 1, leader: 1, prev: lid(1, 1, 5), [later], commit: lid(1, 1, 4)), from: 1, to: 3)

        sendSnapshot(cluster, from: 1, vote: leader1, last: lid(1, 1, 5))
        #expect(cluster[3].lastLogID == lid(1, 1, 6))
        #expect(cluster[3].committedMembership == initialMembership)
        #expect(cluster[3].effectiveMembership.logID == lid(1, 1, 6))
    }

    /// Field lesson 4: the applied point never moves back nor skips entries, even when the
    /// report of an earlier apply arrives after the snapshot was installed.
    @Test func appliedNeverGoesBackwardsOrSkipsWhenInstallRacesWithApply() throws {
        let cluster = ManualCluster(ids: [3])
        cluster.autoApply = false
        cluster.heldSnapshotInstalls = [3]
        cluster.inject(appendRequest(term: 1, leader: 1, prev: nil, bootstrapEntries() + commandEntries(term: 1, leader: 1, 3...6), commit: lid(1, 1, 6)), from: 1, to: 3)
        #expect(cluster.nodes[3]!.pendingApply.flatMap { $0.map(\.index) } == [1, 2, 3, 4, 5, 6])
        #expect(cluster[3].applied == nil)

        // The snapshot arrives while 1...6 are being applied.
        sendSnapshot(cluster, from: 1, vote: leader1, last: lid(1, 1, 9))
        #expect(cluster.nodes[3]!.pendingInstall != nil)
        // A heartbeat meanwhile starts no apply.
        cluster.inject(appendRequest(term: 1, leader: 1, prev: nil, [], commit: lid(1, 1, 9), rpcID: 901), from: 1, to: 3)
        #expect(cluster.nodes[3]!.pendingApply.count == 1)

        cluster.completeSnapshotInstall(3, reportPendingApplies: false)
        #expect(cluster[3].applied == lid(1, 1, 9))
        // The late report of the earlier batch does not move applied back.
        cluster.with(3) { $0.applied(upTo: lid(1, 1, 6)) }
        #expect(cluster[3].applied == lid(1, 1, 9))

        // The next entries are applied from 10 on: nothing re-applied, nothing skipped.
        cluster.inject(appendRequest(term: 1, leader: 1, prev: lid(1, 1, 9), commandEntries(term: 1, leader: 1, 10...11), commit: lid(1, 1, 11), rpcID: 902), from: 1, to: 3)
        #expect(cluster.nodes[3]!.pendingApply.flatMap { $0.map(\.index) } == [10, 11])
        cluster.completeApply(3)
        #expect(cluster[3].applied == lid(1, 1, 11))
    }

    /// Field lesson 4, ordinary order: apply completions reported before the install.
    @Test func pendingApplyCompletedBeforeInstallThenInstallMovesAppliedForward() throws {
        let cluster = ManualCluster(ids: [3])
        cluster.autoApply = false
        cluster.inject(appendRequest(term: 1, leader: 1, prev: nil, bootstrapEntries() + commandEntries(term: 1, leader: 1, 3...6), commit: lid(1, 1, 6)), from: 1, to: 3)
        sendSnapshot(cluster, from: 1, vote: leader1, last: lid(1, 1, 9), commands: ["s3", "s4", "s5", "s6", "s7", "s8", "s9"])
        #expect(cluster[3].applied == lid(1, 1, 9))
        #expect(cluster.nodes[3]!.pendingApply.isEmpty)
        #expect(cluster.appliedCommands(3).count == 7)
    }
}

extension SnapshotInstallTests {
    /// A second snapshot that replaces a log already purged by the first truncates after the
    /// purge point, never below it (a store rightly refuses that).
    @Test func secondSnapshotReplacingAPurgedLogTruncatesAfterThePurgePoint() throws {
        var engine = TestEngine(id: 3, config: .testing(), recovered: .pristine, now: .zero, randomSeed: 1)
        let members = StoredMembership<TestTypes>(logID: lid(1, 1, 1), membership: membership([1, 2, 3]))
        func install(_ last: LogID, id: String, leader: LeaderID) -> [EngineCommand<TestTypes>] {
            let meta = SnapshotMeta<TestTypes>(lastLogID: last, lastMembership: members, snapshotID: id)
            engine.receive(.installSnapshot(InstallSnapshotRequest(vote: .leader(leader), meta: meta, rpcID: 1)), from: leader.nodeID)
            _ = engine.takeCommands()
            engine.snapshotInstalled(meta)
            return engine.takeCommands()
        }
        _ = install(lid(1, 1, 10), id: "first", leader: LeaderID(term: 1, nodeID: 1))
        #expect(engine.lastPurgedLogID == lid(1, 1, 10))
        let commands = install(lid(2, 2, 20), id: "second", leader: LeaderID(term: 2, nodeID: 2))
        let truncations = commands.compactMap { if case .truncateLog(let after, _) = $0 { return after } else { return nil } }
        #expect(truncations.allSatisfy { $0.index >= 10 }, "no truncation below the purge point")
        #expect(engine.lastPurgedLogID == lid(2, 2, 20))
        #expect(engine.applied == lid(2, 2, 20))
    }
}
