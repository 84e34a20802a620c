import Raft
import RaftTesting
import Synchronization
import Testing

/// What survives a reopen of `DictionaryLogStore`: it stands in for the files or the database
/// a real store writes to.
final class LogMedium: Sendable {
    struct Contents {
        var entries: [LogIndex: Entry<KVTypes>] = [:]
        var purged: LogID?
        var last: LogID?
        var vote: Vote?
        var committed: LogID?
    }

    let contents = Mutex(Contents())
}

/// A log store over a dictionary of entries. Each operation finishes its write before it
/// returns, so it reports an append durable at once; a store that syncs in batches would
/// call `onDurable` later, from its sync, in append order.
final class DictionaryLogStore: RaftLogStorage {
    typealias Types = KVTypes

    let medium: LogMedium

    init(medium: LogMedium) { self.medium = medium }

    /// Every operation is a short critical section: the node's loop may call the store itself.
    var neverBlocks: Bool { true }
    /// The medium lives in memory only.
    var isDurable: Bool { false }

    func logState() async throws(StorageError) -> LogState {
        medium.contents.withLock { LogState(lastPurgedLogID: $0.purged, lastLogID: $0.last ?? $0.purged) }
    }

    nonisolated(nonsending) func entries(in range: Range<LogIndex>) async throws(StorageError) -> [Entry<KVTypes>] {
        medium.contents.withLock { contents in
            let lower = max(range.lowerBound, contents.purged.indexOrZero + 1)
            let upper = min(range.upperBound, contents.last.indexOrZero + 1)
            return lower < upper ? (lower..<upper).compactMap { contents.entries[$0] } : []
        }
    }

    nonisolated(nonsending) func append(_ entries: [Entry<KVTypes>], onDurable: @escaping LogFlushCallback) async throws(StorageError) {
        try medium.contents.withLock { contents throws(StorageError) in
            for entry in entries {
                // Contiguous: the first index follows the last entry (or the purge point).
                let expected = (contents.last ?? contents.purged).indexOrZero + 1
                guard entry.index == expected else {
                    throw StorageError(subject: .logEntry(entry.logID), verb: .write, reason: "expected index \(expected)")
                }
                contents.entries[entry.index] = entry
                contents.last = entry.logID
            }
        }
        onDurable(.success(()))
    }

    nonisolated(nonsending) func truncate(after logID: LogID?) async throws(StorageError) {
        medium.contents.withLock { contents in
            for index in contents.entries.keys where index > logID.indexOrZero { contents.entries[index] = nil }
            contents.last = logID.indexOrZero > contents.purged.indexOrZero ? logID : contents.purged
        }
    }

    nonisolated(nonsending) func purge(upTo logID: LogID) async throws(StorageError) {
        medium.contents.withLock { contents in
            guard logID.index > contents.purged.indexOrZero else { return }
            for index in contents.entries.keys where index <= logID.index { contents.entries[index] = nil }
            contents.purged = logID
            // A purge past the last entry (a snapshot ahead of the log) empties the log.
            if contents.last.indexOrZero < logID.index { contents.last = logID }
        }
    }

    nonisolated(nonsending) func saveVote(_ vote: Vote) async throws(StorageError) {
        medium.contents.withLock { $0.vote = vote }
    }

    func readVote() async throws(StorageError) -> Vote? { medium.contents.withLock { $0.vote } }

    nonisolated(nonsending) func saveCommitted(_ committed: LogID?) async throws(StorageError) {
        medium.contents.withLock { $0.committed = committed }
    }

    func readCommitted() async throws(StorageError) -> LogID? { medium.contents.withLock { $0.committed } }
}

/// Runs the storage contract against the store, reopening it over the same medium.
func checkDictionaryLogStore() async -> ConformanceReport {
    await StorageConformance.run(
        fixtures: .keyValue,
        makeLogStore: { DictionaryLogStore(medium: LogMedium()) },
        reopenLogStore: { store in DictionaryLogStore(medium: store.medium) },
        makeStateMachine: { MemoryKVStateMachine() })
}

extension GuideSuites {
    @Suite("Guide: Writing a log store")
    struct WritingALogStoreTests {
        @Test func theDictionaryStorePassesTheConformanceSuite() async {
            let report = await checkDictionaryLogStore()
            #expect(report.succeeded, "\(report)")
            #expect(report.passed.contains(.reopenAfterCleanShutdown))
            #expect(report.skipped == [.reopenStateMachine], "the memory state machine has no reopen")
            #expect(report.passed.count == ConformanceCase.allCases.count - 1)
        }

        /// The suite is not a formality: a store that loses what it wrote when reopened fails it.
        @Test func aStoreThatForgetsOnReopenFails() async {
            let report = await StorageConformance.run(
                fixtures: .keyValue,
                makeLogStore: { DictionaryLogStore(medium: LogMedium()) },
                reopenLogStore: { _ in DictionaryLogStore(medium: LogMedium()) },
                makeStateMachine: { MemoryKVStateMachine() },
                cases: [.reopenAfterCleanShutdown])
            #expect(report.failures.map(\.testCase) == [.reopenAfterCleanShutdown])
        }

        @Test func aClusterRunsOnTheStore() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let router = InProcessRouter<KVTypes>()
                var nodes: [RaftNode<KVTypes>] = []
                for id: NodeID in 1...3 {
                    // While developing, the defensive wrappers stop the node on any contract violation.
                    let checked = DefensiveChecks.wrap(logStore: DictionaryLogStore(medium: LogMedium()), stateMachine: MemoryKVStateMachine())
                    let node = try await RaftNode.start(
                        id: id, config: withGenerousTimeouts(), logStore: checked.logStore, stateMachine: checked.stateMachine,
                        network: router.network(for: id))
                    router.register(node)
                    nodes.append(node)
                }
                try await nodes[0].initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
                let leader = try await nodes[0].wait(until: .leader(), timeout: .seconds(10)).currentLeader!
                let response = try await nodes[Int(leader) - 1].write(.put(key: "k", value: "v"))
                #expect(response == .written(previous: nil))
                for node in nodes { await node.shutdown() }
            }
        }
    }
}
