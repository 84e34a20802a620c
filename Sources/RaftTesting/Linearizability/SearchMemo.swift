/// A set of operations, numbered densely from 0, as a bitset.
///
/// Carries a Zobrist fingerprint (an XOR of one pseudo-random word per member) that is
/// updated in O(1) per insertion or removal, so memo lookups hash a single word instead of
/// the whole bitset; the words are compared only when fingerprints and states collide.
struct OperationSet: Equatable {
    private var words: [UInt64]
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

    /// Both sets must have been created with the same capacity.
    func isSubset(of other: OperationSet) -> Bool {
        for index in words.indices where words[index] & ~other.words[index] != 0 {
            return false
        }
        return true
    }

    static func == (lhs: OperationSet, rhs: OperationSet) -> Bool {
        lhs.fingerprint == rhs.fingerprint && lhs.words == rhs.words
    }

    /// SplitMix64's finalizer: distinct members get well-spread words without storing a table.
    private static func mix(_ value: UInt64) -> UInt64 {
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
struct SearchMemo {
    private struct Key: Hashable {
        var acknowledged: OperationSet
        var state: Int
        var afterUnknown: Bool

        func hash(into hasher: inout Hasher) {
            hasher.combine(acknowledged.fingerprint)
            hasher.combine(state)
            hasher.combine(afterUnknown)
        }
    }

    /// For each key, the minimal unknown-operation sets entered with it.
    private var entered: [Key: [OperationSet]] = [:]

    /// Records the configuration and returns `true`, or returns `false` if a configuration
    /// dominating it was entered before.
    mutating func enter(
        acknowledged: OperationSet, state: Int, afterUnknown: Bool, unknown: OperationSet
    ) -> Bool {
        if afterUnknown,
            let freer = entered[Key(acknowledged: acknowledged, state: state, afterUnknown: false)],
            freer.contains(where: { $0.isSubset(of: unknown) })
        {
            return false
        }
        let key = Key(acknowledged: acknowledged, state: state, afterUnknown: afterUnknown)
        guard let index = entered.index(forKey: key) else {
            entered[key] = [unknown]
            return true
        }
        if entered.values[index].contains(where: { $0.isSubset(of: unknown) }) {
            return false
        }
        // Sets the new one dominates can never prune anything it would not.
        entered.values[index].removeAll { unknown.isSubset(of: $0) }
        entered.values[index].append(unknown)
        return true
    }
}
