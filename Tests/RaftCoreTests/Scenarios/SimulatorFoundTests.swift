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
}


extension Array where Element == EngineCommand<TestTypes> {
    fileprivate var entryReads: [(id: ReadID, range: Range<LogIndex>)] {
        compactMap { if case let .readEntries(id, range) = $0 { return (id, range) } else { return nil } }
    }

    fileprivate var appliedBatches: [[TestEntry]] {
        compactMap { if case .apply(let entries) = $0 { return entries } else { return nil } }
    }
}
