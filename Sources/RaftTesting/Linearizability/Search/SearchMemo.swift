/// A set of operations, numbered densely from 0, as a bitset.
///
/// Carries a Zobrist fingerprint (an XOR of one pseudo-random word per member) that is
/// updated in O(1) per insertion or removal, so memo lookups hash a single word instead of
/// the whole bitset; the words are compared only when fingerprints and states collide.
struct OperationSet: Equatable {
    private(set) var words: [UInt64]
    private(set) var fingerprint: UInt64 = 0

    init(capacity: Int) {
        words = [UInt64](repeating: 0, count: (capacity + 63) / 64)
    }

    mutating func insert(_ member: Int) {
        words[member >> 6] |= 1 << UInt64(member & 63)
        fingerprint ^= Self.mix(UInt64(member))
    }

    mutating func remove(_ member: Int) {
        words[member >> 6] &= ~(1 << UInt64(member & 63))
        fingerprint ^= Self.mix(UInt64(member))
    }

    static func == (lhs: OperationSet, rhs: OperationSet) -> Bool {
        lhs.fingerprint == rhs.fingerprint && lhs.words == rhs.words
    }

    /// SplitMix64's finalizer: distinct members get well-spread words without storing a table.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The search configurations entered so far, used to skip any configuration that cannot
/// lead anywhere new.
///
/// A configuration is the set of acknowledged operations linearized, the state, whether
/// the last linearized operation had an unknown outcome (which restricts the next move, see
/// ``LinearizabilityModel/overwritesState(_:)``), and the set of unknown operations
/// linearized. Everything reachable from a configuration is also reachable from one that
/// agrees on the first two, has linearized a subset of its unknown operations (those are
/// optional and constrain nothing in real time) and is not restricted where it is. So a
/// configuration is skipped when such a dominating one was entered before, not only when the
/// very same one was (Lowe's memoization, extended for operations that may be omitted).
///
/// Stored flat, so that entering a configuration allocates nothing but amortized array
/// growth: a *group* per (acknowledged set, state, restriction) with its bitset in one arena,
/// found through an ``IntTable`` keyed by a hash of the three; each group lists the minimal
/// unknown-operation sets entered with it, their bitsets in a second arena. Without unknown
/// operations every such set is empty, and a group's existence is the whole answer.
struct SearchMemo {
    private let acknowledgedWords: Int
    private let unknownWords: Int

    /// Group index by hash; groups whose hashes collide are chained through `groupNext`.
    private var groupsByHash = IntTable()
    private var groupAcknowledged: [UInt64] = []
    private var groupFingerprint: [UInt64] = []
    private var groupState: [Int32] = []
    private var groupAfterUnknown: [Bool] = []
    private var groupNext: [Int32] = []
    /// The group's first unknown-set entry, -1 for none.
    private var groupFirstEntry: [Int32] = []

    private var entryUnknown: [UInt64] = []
    private var entryNext: [Int32] = []

    /// Configurations recorded so far (groups; with unknown operations, a group holds several).
    var count: Int { groupState.count }

    init(acknowledgedCapacity: Int, unknownCapacity: Int) {
        acknowledgedWords = (acknowledgedCapacity + 63) / 64
        unknownWords = (unknownCapacity + 63) / 64
    }

    /// Records the configuration and returns `true`, or returns `false` if a configuration
    /// dominating it was entered before.
    mutating func enter(
        acknowledged: OperationSet, state: Int, afterUnknown: Bool, unknown: OperationSet
    ) -> Bool {
        if afterUnknown, let freer = group(acknowledged, state, afterUnknown: false), anyEntry(of: freer, isSubsetOf: unknown) {
            return false
        }
        guard let existing = group(acknowledged, state, afterUnknown: afterUnknown) else {
            let created = addGroup(acknowledged, state, afterUnknown: afterUnknown)
            addEntry(unknown, to: created)
            return true
        }
        if anyEntry(of: existing, isSubsetOf: unknown) { return false }
        // Sets the new one dominates can never prune anything it would not.
        removeEntries(of: existing, supersetsOf: unknown)
        addEntry(unknown, to: existing)
        return true
    }

    private func hash(_ acknowledged: OperationSet, _ state: Int, _ afterUnknown: Bool) -> UInt64 {
        OperationSet.mix(acknowledged.fingerprint &+ UInt64(state) &* 0x2545_F491_4F6C_DD1D) ^ (afterUnknown ? 1 : 0)
    }

    private func group(_ acknowledged: OperationSet, _ state: Int, afterUnknown: Bool) -> Int? {
        guard let first = groupsByHash.value(for: hash(acknowledged, state, afterUnknown)) else { return nil }
        var candidate = Int(first)
        while candidate >= 0 {
            if groupState[candidate] == Int32(state), groupAfterUnknown[candidate] == afterUnknown,
                groupFingerprint[candidate] == acknowledged.fingerprint,
                sameWords(acknowledged.words, groupAcknowledged, at: candidate * acknowledgedWords)
            {
                return candidate
            }
            candidate = Int(groupNext[candidate])
        }
        return nil
    }

    private mutating func addGroup(_ acknowledged: OperationSet, _ state: Int, afterUnknown: Bool) -> Int {
        let index = groupState.count
        let key = hash(acknowledged, state, afterUnknown)
        groupNext.append(groupsByHash.value(for: key) ?? -1)
        groupsByHash.set(Int32(index), for: key)
        groupAcknowledged.append(contentsOf: acknowledged.words)
        groupFingerprint.append(acknowledged.fingerprint)
        groupState.append(Int32(state))
        groupAfterUnknown.append(afterUnknown)
        groupFirstEntry.append(-1)
        return index
    }

    private func sameWords(_ words: [UInt64], _ arena: [UInt64], at offset: Int) -> Bool {
        for index in 0..<words.count where arena[offset + index] != words[index] { return false }
        return true
    }

    private func anyEntry(of group: Int, isSubsetOf unknown: OperationSet) -> Bool {
        if unknownWords == 0 { return groupFirstEntry[group] >= 0 }
        var entry = Int(groupFirstEntry[group])
        while entry >= 0 {
            if isSubset(entry, of: unknown.words) { return true }
            entry = Int(entryNext[entry])
        }
        return false
    }

    private func isSubset(_ entry: Int, of words: [UInt64]) -> Bool {
        let offset = entry * unknownWords
        for index in 0..<unknownWords where entryUnknown[offset + index] & ~words[index] != 0 { return false }
        return true
    }

    private func isSuperset(_ entry: Int, of words: [UInt64]) -> Bool {
        let offset = entry * unknownWords
        for index in 0..<unknownWords where words[index] & ~entryUnknown[offset + index] != 0 { return false }
        return true
    }

    private mutating func addEntry(_ unknown: OperationSet, to group: Int) {
        let entry = entryNext.count
        entryUnknown.append(contentsOf: unknown.words)
        entryNext.append(groupFirstEntry[group])
        groupFirstEntry[group] = Int32(entry)
    }

    /// Unlinks them; their words stay in the arena, unused.
    private mutating func removeEntries(of group: Int, supersetsOf unknown: OperationSet) {
        var previous = -1
        var entry = Int(groupFirstEntry[group])
        while entry >= 0 {
            let next = Int(entryNext[entry])
            if isSuperset(entry, of: unknown.words) {
                if previous < 0 { groupFirstEntry[group] = Int32(next) } else { entryNext[previous] = Int32(next) }
            } else {
                previous = entry
            }
            entry = next
        }
    }
}
