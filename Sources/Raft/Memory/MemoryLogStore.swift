import DequeModule
import RaftCore
import Synchronization

/// A volatile log store: for tests, the simulator, benchmarks, and nodes whose durability
/// comes from elsewhere.
///
/// Appends are "durable" as soon as they are stored, so the flush callback runs before
/// `append` returns. Nothing survives the process.
///
/// The store checks only what it must to stay consistent (contiguous appends, truncation and
/// purge bounds) and reports a violation as a `StorageError`; the runtime's defensive wrapper
/// checks the protocol-level rules (a vote never goes backwards, no purge past applied).
public final class MemoryLogStore<Types: RaftTypeConfig>: RaftLogStorage {
    @usableFromInline struct State {
        /// Entries after the purge point, oldest first.
        @usableFromInline var entries = Deque<Entry<Types>>()
        /// The id of the entry before `entries.first` (the purge point).
        @usableFromInline var lastPurged: LogID?
        @usableFromInline var vote: Vote?
        @usableFromInline var committed: LogID?

        @inlinable init() {}

        /// The id of the last entry; the purge point when every entry is purged.
        @inlinable var lastLogID: LogID? { entries.last?.logID ?? lastPurged }
        @inlinable var firstIndex: LogIndex { lastPurged.indexOrZero + 1 }
    }

    @usableFromInline let state = Mutex(State())

    /// An empty log.
    @inlinable public init() {}

    /// Every operation is a short critical section in memory.
    @inlinable public var neverBlocks: Bool { true }

    /// Nothing survives the process.
    @inlinable public var isDurable: Bool { false }

    @inlinable public func logState() async throws(StorageError) -> LogState {
        state.withLock { LogState(lastPurgedLogID: $0.lastPurged, lastLogID: $0.lastLogID) }
    }

    // The write-path operations run on the caller's executor (`nonisolated(nonsending)`, as
    // the protocol declares them): they never suspend, so a hop to the global executor and
    // back would only cost an executor switch on every append.
    @inlinable nonisolated(nonsending) public func entries(in range: Range<LogIndex>) async throws(StorageError) -> [Entry<Types>] {
        state.withLock { state in
            let lower = max(range.lowerBound, state.firstIndex)
            let upper = min(range.upperBound, state.lastLogID.indexOrZero + 1)
            guard lower < upper else { return [] }
            let offset = Int(lower - state.firstIndex)
            return Array(state.entries[offset..<(offset + Int(upper - lower))])
        }
    }

    @inlinable nonisolated(nonsending) public func append(_ entries: [Entry<Types>], onDurable: @escaping LogFlushCallback) async throws(StorageError) {
        try state.withLock { state throws(StorageError) in
            var expected = state.lastLogID.indexOrZero + 1
            for entry in entries {
                guard entry.index == expected else {
                    throw StorageError(subject: .logEntry(entry.logID), verb: .write,
                                       reason: "non-contiguous append: expected index \(expected)")
                }
                expected += 1
            }
            // One at a time: `append(contentsOf:)` copies through the runtime's generic array
            // copy, which calls the entry type's value witness for every element.
            for entry in entries { state.entries.append(entry) }
        }
        onDurable(.success(()))
    }

    @inlinable nonisolated(nonsending) public func truncate(after logID: LogID?) async throws(StorageError) {
        try state.withLock { state throws(StorageError) in
            let keep = logID.indexOrZero
            guard keep >= state.lastPurged.indexOrZero else {
                throw StorageError(subject: .logEntry(logID), verb: .delete,
                                   reason: "truncation below the purge point \(state.lastPurged.map(\.description) ?? "-")")
            }
            let removeCount = Int(state.lastLogID.indexOrZero - min(keep, state.lastLogID.indexOrZero))
            state.entries.removeLast(removeCount)
        }
    }

    @inlinable nonisolated(nonsending) public func purge(upTo logID: LogID) async throws(StorageError) {
        state.withLock { state in
            guard logID.index > state.lastPurged.indexOrZero else { return }
            let removeCount = Int(min(logID.index, state.lastLogID.indexOrZero) - state.lastPurged.indexOrZero)
            state.entries.removeFirst(removeCount)
            state.lastPurged = logID
        }
    }

    @inlinable nonisolated(nonsending) public func saveVote(_ vote: Vote) async throws(StorageError) {
        state.withLock { $0.vote = vote }
    }

    @inlinable public func readVote() async throws(StorageError) -> Vote? {
        state.withLock { $0.vote }
    }

    @inlinable nonisolated(nonsending) public func saveCommitted(_ committed: LogID?) async throws(StorageError) {
        state.withLock { $0.committed = committed }
    }

    @inlinable public func readCommitted() async throws(StorageError) -> LogID? {
        state.withLock { $0.committed }
    }
}
