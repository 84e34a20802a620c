import DequeModule

/// The recent tail of the log kept in memory so replication and apply rarely read storage.
///
/// Holds a contiguous range of entries ending at the last log entry. Bounded by entry count
/// and bytes; the engine evicts from the front and issues storage reads for anything older.
@usableFromInline struct EntryCache<T: RaftTypeConfig>: Sendable {
    @usableFromInline var entries: Deque<Entry<T>> = []
    @usableFromInline var sizes: Deque<Int> = []
    @usableFromInline var byteCount: Int = 0
    /// The index of `entries.first`, or of the next entry to be appended when empty.
    @usableFromInline var firstIndex: LogIndex

    @inlinable init(nextIndex: LogIndex) {
        self.firstIndex = nextIndex
    }

    @inlinable var count: Int { entries.count }
    @inlinable var isEmpty: Bool { entries.isEmpty }
    /// One past the last cached index.
    @inlinable var endIndex: LogIndex { firstIndex + LogIndex(entries.count) }

    @inlinable func contains(_ index: LogIndex) -> Bool { index >= firstIndex && index < endIndex }

    @inlinable subscript(index: LogIndex) -> Entry<T> {
        entries[Int(index - firstIndex)]
    }

    /// Entries `[from, to)`, limited to `maxEntries` and to `maxBytes` (at least one entry).
    @inlinable func slice(from start: LogIndex, to end: LogIndex, maxEntries: Int, maxBytes: Int) -> [Entry<T>] {
        precondition(start >= firstIndex && end <= endIndex && start <= end, "slice must be cached")
        var result: [Entry<T>] = []
        let count = min(Int(end - start), maxEntries)
        result.reserveCapacity(count)
        var bytes = 0
        var position = Int(start - firstIndex)
        while result.count < count {
            let size = sizes[position]
            if !result.isEmpty && bytes + size > maxBytes { break }
            result.append(entries[position])
            bytes += size
            position += 1
        }
        return result
    }

    /// Bytes of entries `[from, to)`.
    @inlinable func bytes(from start: LogIndex, to end: LogIndex) -> Int {
        var total = 0
        var position = Int(start - firstIndex)
        let stop = Int(end - firstIndex)
        while position < stop { total += sizes[position]; position += 1 }
        return total
    }

    @inlinable mutating func append(_ entry: Entry<T>) {
        precondition(entry.index == endIndex, "cache appends are contiguous")
        let size = entry.byteCount
        entries.append(entry)
        sizes.append(size)
        byteCount += size
    }

    /// Drops cached entries after `index`.
    @inlinable mutating func truncate(after index: LogIndex) {
        while let last = entries.last, last.index > index {
            entries.removeLast()
            byteCount -= sizes.removeLast()
        }
        if entries.isEmpty { firstIndex = min(firstIndex, index + 1) }
    }

    /// Drops cached entries up to and including `index`.
    @inlinable mutating func evict(upTo index: LogIndex) {
        guard index >= firstIndex else { return }
        // Entries are contiguous from `firstIndex`: drop them as one range rather than taking
        // each out (a copy and a release per entry).
        let count = Int(min(index - firstIndex + 1, LogIndex(entries.count)))
        byteCount -= sizes.prefix(count).reduce(0, +)
        entries.removeFirst(count)
        sizes.removeFirst(count)
        // Emptied: the next append follows `index` (which may lie past the last entry).
        firstIndex = entries.isEmpty ? index + 1 : firstIndex + LogIndex(count)
    }

    /// Empties the cache; the next append must be `nextIndex`.
    @inlinable mutating func reset(nextIndex: LogIndex) {
        entries.removeAll()
        sizes.removeAll()
        byteCount = 0
        firstIndex = nextIndex
    }
}
