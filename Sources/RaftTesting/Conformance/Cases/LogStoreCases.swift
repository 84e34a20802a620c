import Raft
import RaftCore

/// The log store half of the suite. Each case gets a fresh store.
struct LogStoreCases<Store: RaftLogStorage>: Sendable {
    typealias Types = Store.Types

    let entries: EntryFactory<Types>
    let make: @Sendable () async throws -> Store
    let reopen: (@Sendable (Store) async throws -> Store)?
    let close: (@Sendable (Store) async throws -> Void)?

    func canRun(_ testCase: ConformanceCase) -> Bool {
        testCase != .reopenAfterCleanShutdown || reopen != nil
    }

    func run(_ testCase: ConformanceCase) async throws {
        let store = try await make()
        var current = store
        do {
            current = try await run(testCase, on: store)
        } catch {
            try? await close?(current)
            throw error
        }
        try await close?(current)
    }

    /// Runs one case and returns the store it ended with (a reopen replaces it).
    private func run(_ testCase: ConformanceCase, on store: Store) async throws -> Store {
        switch testCase {
        case .emptyLogState: try await emptyLogState(store)
        case .appendAndReadRanges: try await appendAndReadRanges(store)
        case .voteSaveAndRead: try await voteSaveAndRead(store)
        case .committedSaveAndRead: try await committedSaveAndRead(store)
        case .truncateAfterEntry: try await truncateAfterEntry(store)
        case .truncateEverything: try await truncateEverything(store)
        case .purgePrefix: try await purgePrefix(store)
        case .appendAfterPurge: try await appendAfterPurge(store)
        case .purgeEverythingThenAppend: try await purgeEverythingThenAppend(store)
        case .purgeBeyondLastEntry: try await purgeBeyondLastEntry(store)
        case .flushCallbacksOncePerAppendInOrder: try await flushCallbacksOncePerAppendInOrder(store)
        case .reopenAfterCleanShutdown: return try await reopenAfterCleanShutdown(store)
        case .concurrentReadsSeeConsistentPrefixes: try await concurrentReadsSeeConsistentPrefixes(store)
        default: preconditionFailure("\(testCase) is not a log store case")
        }
        return store
    }

    // MARK: Helpers

    /// Appends and waits for durability, failing on a failed flush.
    func appendDurably(_ store: Store, _ batch: [Entry<Types>]) async throws {
        let recorder = FlushRecorder()
        try await store.append(batch, onDurable: recorder.callback(0))
        try await recorder.wait(forCount: 1)
        if let failure = recorder.failures.first { throw failure }
    }

    func checkLog(_ store: Store, purged: LogID?, expected: [Entry<Types>], _ what: String) async throws {
        let state = try await store.logState()
        try checkEqual(state.lastPurgedLogID, purged, "\(what): last purged log id")
        try checkEqual(state.lastLogID, expected.last?.logID ?? purged, "\(what): last log id")
        let upper = (expected.last?.index ?? purged.indexOrZero) + 100
        try checkEntries(try await store.entries(in: 0..<upper), expected, "\(what): entries(in: 0..<\(upper))")
    }

    // MARK: Cases

    private func emptyLogState(_ store: Store) async throws {
        try checkEqual(try await store.logState(), LogState(lastPurgedLogID: nil, lastLogID: nil), "log state")
        try checkEqual(try await store.readVote(), nil, "vote")
        try checkEqual(try await store.readCommitted(), nil, "committed")
        try checkEntries(try await store.entries(in: 0..<100), [], "entries of an empty log")
    }

    private func appendAndReadRanges(_ store: Store) async throws {
        let all = entries.entries(1...7) + entries.entries(8...12, term: 2, node: 3)
        try await appendDurably(store, Array(all[0..<3]))
        try await appendDurably(store, Array(all[3..<4]))
        try await appendDurably(store, Array(all[4...]))
        try await checkLog(store, purged: nil, expected: all, "after three appends")
        let cases: [(Range<LogIndex>, ArraySlice<Entry<Types>>)] = [
            (1..<13, all[0..<12]), (3..<7, all[2..<6]), (0..<2, all[0..<1]), (10..<50, all[9..<12]),
            (13..<20, []), (5..<5, []), (12..<13, all[11..<12]),
        ]
        for (range, expected) in cases {
            try checkEntries(try await store.entries(in: range), Array(expected), "entries(in: \(range))")
        }
    }

    private func voteSaveAndRead(_ store: Store) async throws {
        // Stores keep what they are given; the runtime's defensive wrapper enforces that a
        // vote never goes backwards, so only read-your-write is checked here.
        let votes = [Vote(term: 1, votedFor: 2), Vote(term: 1, votedFor: 2, committed: true), Vote(term: 4, votedFor: nil), Vote(term: 9, votedFor: 7)]
        for vote in votes {
            try await store.saveVote(vote)
            try checkEqual(try await store.readVote(), vote, "vote after saving \(vote)")
        }
    }

    private func committedSaveAndRead(_ store: Store) async throws {
        try await appendDurably(store, entries.entries(1...5))
        for index: LogIndex in [2, 5] {
            let committed = LogID(term: 1, nodeID: 1, index: index)
            try await store.saveCommitted(committed)
            try checkEqual(try await store.readCommitted(), committed, "committed after saving \(committed)")
        }
    }

    private func truncateAfterEntry(_ store: Store) async throws {
        let original = entries.entries(1...10)
        try await appendDurably(store, original)
        try await store.truncate(after: original[5].logID)
        try await checkLog(store, purged: nil, expected: Array(original[0...5]), "after truncate(after: 6)")
        try await store.truncate(after: original[5].logID)
        try await checkLog(store, purged: nil, expected: Array(original[0...5]), "after truncating at the last entry")
        let replacement = entries.entries(7...9, term: 2, node: 2)
        try await appendDurably(store, replacement)
        try await checkLog(store, purged: nil, expected: Array(original[0...5]) + replacement, "after appending a new suffix")
    }

    private func truncateEverything(_ store: Store) async throws {
        try await appendDurably(store, entries.entries(1...4))
        try await store.truncate(after: nil)
        try await checkLog(store, purged: nil, expected: [], "after truncate(after: nil)")
        let fresh = entries.entries(1...2, term: 3, node: 2)
        try await appendDurably(store, fresh)
        try await checkLog(store, purged: nil, expected: fresh, "after appending to the emptied log")
    }

    private func purgePrefix(_ store: Store) async throws {
        let all = entries.entries(1...10)
        try await appendDurably(store, all)
        try await store.purge(upTo: all[3].logID)
        try await checkLog(store, purged: all[3].logID, expected: Array(all[4...]), "after purge(upTo: 4)")
        try checkEntries(try await store.entries(in: 1..<5), [], "entries(in: 1..<5) below the purge point")
        try checkEntries(try await store.entries(in: 3..<7), Array(all[4..<6]), "entries(in: 3..<7) across the purge point")
        try await store.purge(upTo: all[1].logID)
        try await checkLog(store, purged: all[3].logID, expected: Array(all[4...]), "after purging an already purged id")
        try await store.truncate(after: all[6].logID)
        try await checkLog(store, purged: all[3].logID, expected: Array(all[4...6]), "after truncating a purged log")
    }

    private func appendAfterPurge(_ store: Store) async throws {
        let first = entries.entries(1...6)
        try await appendDurably(store, first)
        try await store.purge(upTo: first[2].logID)
        let more = entries.entries(7...9, term: 2)
        try await appendDurably(store, more)
        try await checkLog(store, purged: first[2].logID, expected: Array(first[3...]) + more, "after appending past a purge")
    }

    private func purgeEverythingThenAppend(_ store: Store) async throws {
        let all = entries.entries(1...5)
        try await appendDurably(store, all)
        try await store.purge(upTo: all[4].logID)
        try await checkLog(store, purged: all[4].logID, expected: [], "after purging every entry")
        let next = entries.entries(6...7)
        try await appendDurably(store, next)
        try await checkLog(store, purged: all[4].logID, expected: next, "after appending to a fully purged log")
    }

    private func purgeBeyondLastEntry(_ store: Store) async throws {
        try await appendDurably(store, entries.entries(1...3))
        // The runtime does this when it installs a snapshot that covers more than the log.
        let snapshotLast = LogID(term: 4, nodeID: 2, index: 8)
        try await store.purge(upTo: snapshotLast)
        try await checkLog(store, purged: snapshotLast, expected: [], "after purging past the last entry")
        let next = entries.entries(9...10, term: 4, node: 2)
        try await appendDurably(store, next)
        try await checkLog(store, purged: snapshotLast, expected: next, "after appending past the snapshot")
    }

    private func flushCallbacksOncePerAppendInOrder(_ store: Store) async throws {
        let recorder = FlushRecorder()
        var next: LogIndex = 1
        let appendCount = 40
        for tag in 0..<appendCount {
            let size = LogIndex(tag % 5 + 1)
            let batch = entries.commands(next...(next + size - 1))
            try await store.append(batch, onDurable: recorder.callback(tag))
            // Readable as soon as append returns, durable or not.
            try checkEntries(try await store.entries(in: next..<(next + size)), batch, "entries right after append \(tag) returned")
            next += size
        }
        try await recorder.wait(forCount: appendCount)
        // One more round trip gives late duplicates a chance to show up.
        try await store.append(entries.commands(next...next), onDurable: recorder.callback(appendCount))
        try await recorder.wait(forCount: appendCount + 1)
        try? await Task.sleep(for: .milliseconds(20))
        try checkEqual(recorder.tags, Array(0...appendCount), "flush callback order")
        try check(recorder.failures.isEmpty, "flush callbacks reported failures: \(recorder.failures)")
    }

    private func reopenAfterCleanShutdown(_ store: Store) async throws -> Store {
        guard let reopen else { return store }
        let first = entries.entries(1...20)
        try await appendDurably(store, first)
        try await store.truncate(after: first[14].logID)
        let suffix = entries.entries(16...18, term: 2, node: 2)
        try await appendDurably(store, suffix)
        try await store.purge(upTo: first[4].logID)
        let vote = Vote(term: 2, votedFor: 2, committed: true)
        try await store.saveVote(vote)
        try await store.saveCommitted(suffix[0].logID)
        let expected = Array(first[5...14]) + suffix

        let reopened = try await reopen(store)
        try await checkLog(reopened, purged: first[4].logID, expected: expected, "after reopen")
        try checkEqual(try await reopened.readVote(), vote, "vote after reopen")
        try checkEqual(try await reopened.readCommitted(), suffix[0].logID, "committed after reopen")
        let more = entries.entries(19...21, term: 2, node: 2)
        try await appendDurably(reopened, more)
        try await checkLog(reopened, purged: first[4].logID, expected: expected + more, "after appending to the reopened store")
        return reopened
    }
}
