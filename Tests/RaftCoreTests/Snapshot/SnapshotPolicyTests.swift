import Testing
@testable import RaftCore

/// When snapshots are built and how far the log is purged after them.
@Suite("Snapshot: build policy and purge")
struct SnapshotPolicyTests {
    private func config(every interval: UInt64?, kept: UInt64, batch: UInt64) -> EngineConfig {
        .testing {
            $0.snapshotPolicy = interval.map { .everyAppliedEntries($0) } ?? .never
            $0.logsKeptAfterSnapshot = kept
            $0.purgeBatchSize = batch
        }
    }

    @Test func everyAppliedEntriesPolicyBuildsASnapshotEachTimeThatManyEntriesWereApplied() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3], config: config(every: 5, kept: 100, batch: 100))
        // Entries 1 (membership) and 2 (blank) are applied.
        try cluster.propose(["a", "b"], on: 1)
        cluster.stabilize()
        for id: NodeID in [1, 2, 3] { #expect(cluster[id].snapshot == nil, "node \(id): 4 applied") }

        try cluster.propose(["c"], on: 1)
        cluster.stabilize()
        for id: NodeID in [1, 2, 3] {
            #expect(cluster[id].snapshot?.lastLogID?.index == 5, "node \(id)")
            #expect(cluster.nodes[id]!.snapshot?.meta.lastLogID?.index == 5, "node \(id) state machine built it")
        }

        try cluster.propose(["d", "e", "f", "g"], on: 1)
        cluster.stabilize()
        #expect(cluster[1].snapshot?.lastLogID?.index == 5, "9 applied: not yet")
        try cluster.propose(["h"], on: 1)
        cluster.stabilize()
        #expect(cluster[1].snapshot?.lastLogID?.index == 10)
    }

    @Test func purgeKeepsLogsKeptAfterSnapshotAndWaitsForAFullBatch() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1], config: config(every: 5, kept: 2, batch: 4))
        func proposeUntilApplied(_ index: LogIndex) throws {
            while cluster[1].applied.indexOrZero < index {
                try cluster.propose(["x"], on: 1)
                cluster.stabilize()
            }
        }
        try proposeUntilApplied(5)
        #expect(cluster[1].snapshot?.lastLogID?.index == 5)
        #expect(cluster[1].lastPurgedLogID == nil, "5 - 2 kept = 3 entries: less than a batch of 4")

        try proposeUntilApplied(10)
        #expect(cluster[1].snapshot?.lastLogID?.index == 10)
        #expect(cluster[1].lastPurgedLogID?.index == 8, "10 - 2 kept")
        #expect(cluster.storedLogIDs(1).first?.index == 9)

        try proposeUntilApplied(15)
        #expect(cluster[1].lastPurgedLogID?.index == 13)
        #expect(cluster.nodes[1]!.storedPurged?.index == 13)
    }

    @Test func purgeNeverPassesWhatTheEngineKnowsApplied() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1], config: config(every: nil, kept: 0, batch: 1))
        cluster.autoApply = false
        for command in ["a", "b", "c", "d", "e"] {
            try cluster.propose([command], on: 1)
            cluster.stabilize()
        }
        let committed = try #require(cluster[1].committed)
        #expect(committed.index == 7)
        cluster.completeFirstApply(1)
        cluster.completeFirstApply(1)
        #expect(cluster[1].applied?.index == 4)

        // A snapshot reported through 7 (its apply completions not processed yet) purges only to 4.
        let meta = SnapshotMeta(lastLogID: committed, lastMembership: cluster[1].committedMembership, snapshotID: "ahead")
        cluster.with(1) { $0.snapshotBuilt(meta) }
        #expect(cluster[1].lastPurgedLogID?.index == 4)
        cluster.with(1) { $0.triggerPurge(upTo: 7) }
        #expect(cluster[1].lastPurgedLogID?.index == 4)

        cluster.completeApply(1)
        cluster.with(1) { $0.triggerPurge(upTo: 7) }
        #expect(cluster[1].lastPurgedLogID == committed)
    }

    @Test func triggerPurgeIsClampedToTheSnapshotAndIgnoresKeepAndBatchSettings() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3], config: config(every: nil, kept: 1000, batch: 1000))
        cluster.with(1) { $0.triggerPurge(upTo: 2) }
        #expect(cluster[1].lastPurgedLogID == nil, "nothing purged without a snapshot")

        try cluster.propose(["a", "b", "c", "d"], on: 1)
        cluster.stabilize()
        cluster.with(1) { $0.triggerSnapshot() }
        #expect(cluster[1].snapshot?.lastLogID?.index == 6)
        try cluster.propose(["e", "f"], on: 1)
        cluster.stabilize()

        cluster.with(1) { $0.triggerPurge(upTo: 3) }
        #expect(cluster[1].lastPurgedLogID?.index == 3)
        #expect(cluster.storedLogIDs(1).first?.index == 4)
        cluster.with(1) { $0.triggerPurge(upTo: 100) }
        #expect(cluster[1].lastPurgedLogID?.index == 6, "clamped to the snapshot, not to the log end (8)")
        #expect(cluster[1].lastLogID?.index == 8)
        // Followers purge on their own schedule.
        #expect(cluster[2].lastPurgedLogID == nil)
    }

    /// Field lesson 25: a snapshot build that fails must not stop compaction for good.
    @Test func failedSnapshotBuildIsRetriedOnALaterApply() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1], config: config(every: 4, kept: 0, batch: 1))
        cluster.failingSnapshotBuilds = [1]
        try cluster.propose(["a", "b"], on: 1)
        cluster.stabilize()
        #expect(cluster[1].applied?.index == 4)
        #expect(cluster[1].snapshot == nil, "the build failed")

        cluster.failingSnapshotBuilds = []
        try cluster.propose(["c"], on: 1)
        cluster.stabilize()
        #expect(cluster[1].snapshot?.lastLogID?.index == 5)
        #expect(cluster[1].lastPurgedLogID?.index == 5)
    }

    @Test func failedSnapshotBuildDoesNotBlockAnExplicitTrigger() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1], config: config(every: 4, kept: 0, batch: 1))
        cluster.failingSnapshotBuilds = [1]
        try cluster.propose(["a", "b"], on: 1)
        cluster.stabilize()
        cluster.failingSnapshotBuilds = []
        cluster.with(1) { $0.triggerSnapshot() }
        #expect(cluster[1].snapshot?.lastLogID?.index == 4)
    }
}
