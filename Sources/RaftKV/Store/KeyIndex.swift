/// The store's keys in order, for prefix reads, kept so that writes never sort.
///
/// A write only notes a key it created (an append); the next ordered read sorts what was
/// noted since the last one and merges it into the sorted keys, dropping keys deleted
/// meanwhile. Writes stay O(1); a read pays for the keys created since the previous read.
struct KeyIndex: Sendable {
    /// Sorted; may still hold keys deleted since the last merge (reads check the values).
    private var sorted: [String] = []
    /// Keys created since the last merge, in no order.
    private var created: [String] = []
    /// Deletions since the last merge: when they reach a good part of the index, a merge
    /// also compacts.
    private var deletions = 0

    init() {}

    /// Builds the index of `keys`.
    init<Keys: Sequence<String>>(keys: Keys) {
        sorted = keys.sorted()
    }

    mutating func noteCreated(_ key: String) { created.append(key) }

    mutating func noteDeleted() { deletions += 1 }

    /// Up to `limit` keys starting with `prefix` that `exists` accepts, in order.
    mutating func keys(withPrefix prefix: String, limit: Int, exists: (String) -> Bool) -> [String] {
        if !created.isEmpty || deletions > 0 { merge(exists: exists) }
        var start = lowerBound(prefix)
        var result: [String] = []
        while start < sorted.count, result.count < limit {
            let key = sorted[start]
            guard key.hasPrefix(prefix) else { break }
            if exists(key) { result.append(key) }
            start += 1
        }
        return result
    }

    private mutating func merge(exists: (String) -> Bool) {
        created.sort()
        var merged: [String] = []
        merged.reserveCapacity(sorted.count + created.count)
        var old = 0
        var new = 0
        // A key may appear in both (deleted and created again) or twice in `created`.
        func take(_ key: String) {
            if merged.last != key, exists(key) { merged.append(key) }
        }
        while old < sorted.count, new < created.count {
            if sorted[old] <= created[new] {
                take(sorted[old])
                old += 1
            } else {
                take(created[new])
                new += 1
            }
        }
        while old < sorted.count { take(sorted[old]); old += 1 }
        while new < created.count { take(created[new]); new += 1 }
        sorted = merged
        created.removeAll(keepingCapacity: true)
        deletions = 0
    }

    private func lowerBound(_ key: String) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
