import Raft
import RaftCore
import RaftTesting
import Synchronization
import Testing

/// The suite is only worth something if it fails broken stores, and names the broken rule.
@Suite struct SuiteCatchesBrokenStoresTests {
    enum Defect: Sendable {
        case doubleFlushCallback
        case ignoresPurge
        case emptyReadWhenRangeExceedsLog
        case forgetsVoteCommitFlag
    }

    /// A memory store with one deliberate defect.
    final class BrokenLogStore: RaftLogStorage {
        typealias Types = KVTypes
        let inner = MemoryLogStore<KVTypes>()
        let defect: Defect

        init(_ defect: Defect) { self.defect = defect }

        func logState() async throws(StorageError) -> LogState { try await inner.logState() }

        func entries(in range: Range<LogIndex>) async throws(StorageError) -> [Entry<KVTypes>] {
            if defect == .emptyReadWhenRangeExceedsLog,
               range.upperBound > (try await inner.logState().lastLogID).indexOrZero + 1 {
                return []
            }
            return try await inner.entries(in: range)
        }

        func append(_ entries: [Entry<KVTypes>], onDurable: @escaping LogFlushCallback) async throws(StorageError) {
            try await inner.append(entries, onDurable: onDurable)
            if defect == .doubleFlushCallback { onDurable(.success(())) }
        }

        func truncate(after logID: LogID?) async throws(StorageError) { try await inner.truncate(after: logID) }

        func purge(upTo logID: LogID) async throws(StorageError) {
            if defect != .ignoresPurge { try await inner.purge(upTo: logID) }
        }

        func saveVote(_ vote: Vote) async throws(StorageError) {
            var saved = vote
            if defect == .forgetsVoteCommitFlag, vote.committed {
                saved = Vote(term: vote.term, votedFor: vote.votedFor)
            }
            try await inner.saveVote(saved)
        }

        func readVote() async throws(StorageError) -> Vote? { try await inner.readVote() }
        func saveCommitted(_ committed: LogID?) async throws(StorageError) { try await inner.saveCommitted(committed) }
        func readCommitted() async throws(StorageError) -> LogID? { try await inner.readCommitted() }
    }

    func failedCases(_ defect: Defect) async -> Set<ConformanceCase> {
        let report = await StorageConformance.runLogStore(fixtures: .keyValue, make: { BrokenLogStore(defect) })
        return Set(report.failures.map(\.testCase))
    }

    @Test func doubleFlushCallbackIsCaught() async {
        #expect(await failedCases(.doubleFlushCallback) == [.flushCallbacksOncePerAppendInOrder])
    }

    @Test func ignoredPurgeIsCaught() async {
        let failed = await failedCases(.ignoresPurge)
        #expect(failed == [.purgePrefix, .appendAfterPurge, .purgeEverythingThenAppend, .purgeBeyondLastEntry])
    }

    @Test func rangesPartlyOutsideTheLogAreChecked() async {
        #expect(await failedCases(.emptyReadWhenRangeExceedsLog).contains(.appendAndReadRanges))
    }

    @Test func lostVoteFlagIsCaught() async {
        #expect(await failedCases(.forgetsVoteCommitFlag) == [.voteSaveAndRead])
    }

    /// A state machine that answers only the first command of a batch.
    final class DroppingStateMachine: RaftStateMachine {
        typealias Types = KVTypes
        let inner = MemoryKVStateMachine()

        func appliedState() async throws(StorageError) -> AppliedState<KVTypes> { try await inner.appliedState() }

        func apply(_ entries: [Entry<KVTypes>]) async throws(StorageError) -> [KVResponse] {
            Array(try await inner.apply(entries).prefix(1))
        }

        func buildSnapshot() async throws(StorageError) -> Snapshot<KVTypes> { try await inner.buildSnapshot() }
        func installSnapshot(_ snapshot: Snapshot<KVTypes>) async throws(StorageError) { try await inner.installSnapshot(snapshot) }
        func currentSnapshot() async throws(StorageError) -> Snapshot<KVTypes>? { try await inner.currentSnapshot() }
    }

    @Test func missingResponsesAreCaught() async {
        let report = await StorageConformance.runStateMachine(fixtures: .keyValue, make: { DroppingStateMachine() })
        #expect(Set(report.failures.map(\.testCase)) == [.applyReturnsOneResponsePerCommand, .applyAfterInstall])
        #expect(report.description.contains("FAILED state machine: apply returns one response per command entry"))
    }
}
