import Testing
@testable import RaftCore

/// A log that already has a purge point is replaced by a snapshot (on install, or at startup
/// when the state machine is ahead of the log): the store must never be asked to truncate
/// below its purge point, which the storage contract forbids. (A follower repaired after
/// disk corruption, or one that lagged behind a purging leader, is in exactly this state.)
@Suite("Snapshot: replacing a log that has a purge point")
struct PurgedLogReplacementTests {
    private let leader1 = Vote.leader(LeaderID(term: 1, nodeID: 1))
    private let leader2 = Vote.leader(LeaderID(term: 2, nodeID: 2))
    private let initialMembership = StoredMembership<TestTypes>(logID: lid(0, 0, 1), membership: membership([1, 2, 3]))

    private func sendSnapshot(_ cluster: ManualCluster, from leader: NodeID, vote: Vote, last: LogID, rpcID: UInt64) {
        let id = "snap-\(last)"
        cluster.snapshotsInTransit[id] = []
        let meta = SnapshotMeta(lastLogID: last, lastMembership: initialMembership, snapshotID: id)
        cluster.inject(.installSnapshot(InstallSnapshotRequest(vote: vote, meta: meta, rpcID: rpcID)), from: leader, to: 3)
    }

    /// Follower 3 with entries 1...`lastIndex` from leader 1, committed through 4, then purged
    /// through 1-1-5 by a first snapshot.
    private func purgedFollower(lastIndex: LogIndex) -> ManualCluster {
        let cluster = ManualCluster(ids: [3])
        cluster.inject(appendRequest(term: 1, leader: 1, prev: nil, bootstrapEntries() + commandEntries(term: 1, leader: 1, 3...lastIndex), commit: lid(1, 1, 4)), from: 1, to: 3)
        sendSnapshot(cluster, from: 1, vote: leader1, last: lid(1, 1, 5), rpcID: 70)
        #expect(cluster.nodes[3]!.storedPurged == lid(1, 1, 5))
        return cluster
    }

    @Test func snapshotPastTheEndOfAPurgedLogOnlyPurges() {
        let cluster = purgedFollower(lastIndex: 7)
        sendSnapshot(cluster, from: 2, vote: leader2, last: lid(2, 2, 9), rpcID: 71)

        #expect(cluster[3].lastPurgedLogID == lid(2, 2, 9))
        #expect(cluster[3].lastLogID == lid(2, 2, 9))
        #expect(cluster.nodes[3]!.storedPurged == lid(2, 2, 9))
        #expect(cluster.nodes[3]!.storedLog.isEmpty)
        #expect(cluster[3].applied == lid(2, 2, 9))
    }

    @Test func snapshotConflictingInsideAPurgedLogTruncatesOnlyAboveThePurgePoint() {
        let cluster = purgedFollower(lastIndex: 9)
        // Leader 2 replaced 6...9; its snapshot ends at 2-2-7, inside the follower's log.
        sendSnapshot(cluster, from: 2, vote: leader2, last: lid(2, 2, 7), rpcID: 71)

        #expect(cluster[3].lastPurgedLogID == lid(2, 2, 7))
        #expect(cluster[3].lastLogID == lid(2, 2, 7))
        #expect(cluster.nodes[3]!.storedPurged == lid(2, 2, 7))
        #expect(cluster.nodes[3]!.storedLog.isEmpty, "1-1-8 and 1-1-9 were not the leader's and are gone")
        cluster.inject(appendRequest(term: 2, leader: 2, prev: lid(2, 2, 7), commandEntries(term: 2, leader: 2, 8...8), commit: lid(2, 2, 8)), from: 2, to: 3)
        #expect(cluster[3].applied == lid(2, 2, 8))
    }

    @Test func restartWithTheSnapshotAheadOfAPurgedLogReplacesTheLog() {
        let cluster = ManualCluster(ids: [])
        let snapshot = SnapshotMeta(lastLogID: lid(1, 1, 8), lastMembership: initialMembership, snapshotID: "snap-8")
        let recovered = RecoveredState<TestTypes>(
            vote: leader1, lastPurgedLogID: lid(1, 1, 3), logRunStarts: [lid(1, 1, 4)], lastLogID: lid(1, 1, 5),
            committed: lid(1, 1, 5), lastApplied: lid(1, 1, 8), appliedMembership: initialMembership, snapshot: snapshot)
        cluster.addNode(3, recovered: recovered)
        cluster.nodes[3]!.storedPurged = lid(1, 1, 3)
        cluster.nodes[3]!.storedLog = commandEntries(term: 1, leader: 1, 4...5)
        cluster.process(3)

        #expect(cluster[3].lastPurgedLogID == lid(1, 1, 8))
        #expect(cluster[3].lastLogID == lid(1, 1, 8))
        #expect(cluster.nodes[3]!.storedPurged == lid(1, 1, 8))
        #expect(cluster.nodes[3]!.storedLog.isEmpty)
    }
}
