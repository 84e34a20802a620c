/// A hash map from 64-bit keys to 32-bit values with open addressing.
///
/// The search looks up (state, operation) pairs and memo fingerprints millions of times; a
/// multiplicative hash and linear probing over two flat arrays cost a fraction of a
/// `Dictionary` lookup (seeded SipHash, and a value type's witness calls in code that is not
/// specialized across modules).
struct IntTable {
    private var keys: [UInt64]
    private var values: [Int32]
    /// Slots in use; the table grows when it is half full.
    private(set) var count = 0
    private var mask: Int

    /// Values equal to this mark free slots; callers never store it.
    static let empty = Int32.min

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        values = [Int32](repeating: Self.empty, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func slot(of key: UInt64, mask: Int) -> Int {
        // Fibonacci hashing: the high bits of the product are well mixed.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The value stored for `key`, if any.
    func value(for key: UInt64) -> Int32? {
        var slot = Self.slot(of: key, mask: mask)
        while true {
            let value = values[slot]
            if value == Self.empty { return nil }
            if keys[slot] == key { return value }
            slot = (slot + 1) & mask
        }
    }

    /// Stores `value` for `key`, replacing any earlier value.
    mutating func set(_ value: Int32, for key: UInt64) {
        precondition(value != Self.empty, "IntTable cannot store its empty marker")
        if (count + 1) * 2 > values.count { grow() }
        var slot = Self.slot(of: key, mask: mask)
        while values[slot] != Self.empty {
            if keys[slot] == key {
                values[slot] = value
                return
            }
            slot = (slot + 1) & mask
        }
        keys[slot] = key
        values[slot] = value
        count += 1
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let size = values.count * 2
        keys = [UInt64](repeating: 0, count: size)
        values = [Int32](repeating: Self.empty, count: size)
        mask = size - 1
        for index in oldValues.indices where oldValues[index] != Self.empty {
            var slot = Self.slot(of: oldKeys[index], mask: mask)
            while values[slot] != Self.empty { slot = (slot + 1) & mask }
            keys[slot] = oldKeys[index]
            values[slot] = oldValues[index]
        }
    }
}
