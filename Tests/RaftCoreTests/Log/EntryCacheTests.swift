import Testing
@testable import RaftCore

@Suite("Entry cache")
struct EntryCacheTests {
    /// A cache holding commands "c5"..."c9" at indexes 5...9.
    private func filled() -> EntryCache<TestTypes> {
        var cache = EntryCache<TestTypes>(nextIndex: 5)
        for index: LogIndex in 5...9 {
            cache.append(Entry(logID: LogID(term: 1, nodeID: 1, index: index), payload: .command("c\(index)")))
        }
        return cache
    }

    private func commands(_ cache: EntryCache<TestTypes>) -> [String] {
        cache.slice(from: cache.firstIndex, to: cache.endIndex, maxEntries: .max, maxBytes: .max).map { entry in
            if case .command(let command) = entry.payload { return command }
            return "?"
        }
    }

    @Test func evictingAPrefixKeepsTheRestAndTheirBytes() {
        var cache = filled()
        let perEntry = cache.byteCount / 5
        cache.evict(upTo: 6)
        #expect(cache.firstIndex == 7)
        #expect(cache.endIndex == 10)
        #expect(commands(cache) == ["c7", "c8", "c9"])
        #expect(cache.byteCount == perEntry * 3)
        #expect(cache.bytes(from: 7, to: 10) == cache.byteCount)
    }

    @Test func evictingBelowTheFirstEntryChangesNothing() {
        var cache = filled()
        let bytes = cache.byteCount
        cache.evict(upTo: 4)
        #expect(cache.firstIndex == 5)
        #expect(commands(cache) == ["c5", "c6", "c7", "c8", "c9"])
        #expect(cache.byteCount == bytes)
    }

    @Test func evictingEverythingMovesTheNextAppendPastTheEvictedIndex() {
        var cache = filled()
        cache.evict(upTo: 9)
        #expect(cache.isEmpty)
        #expect(cache.byteCount == 0)
        #expect(cache.firstIndex == 10)
        // Beyond the last entry (a snapshot covering more than the log): the cache restarts after it.
        cache.evict(upTo: 20)
        #expect(cache.firstIndex == 21)
        cache.append(Entry(logID: LogID(term: 2, nodeID: 1, index: 21), payload: .command("c21")))
        #expect(commands(cache) == ["c21"])
    }
}
