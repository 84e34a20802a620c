/// Folds a canonical description of every simulation event into a 64-bit FNV-1a hash, and
/// keeps the most recent descriptions for failure reports.
///
/// Two runs with equal hashes saw the same events in the same order with the same content,
/// which is how a replay proves it is exact.
struct TraceRecorder {
    private(set) var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    private(set) var eventCount = 0
    private var recent: [String]
    private var nextSlot = 0
    let capacity: Int
    /// Every description goes here too when set (the `--verbose` mode of `raft-sim`).
    var sink: ((String) -> Void)?

    init(capacity: Int = 50) {
        self.capacity = capacity
        recent = []
        recent.reserveCapacity(capacity)
    }

    mutating func record(_ description: String) {
        for byte in description.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        hash ^= 0x0A
        hash &*= 0x0000_0100_0000_01B3
        eventCount += 1
        if recent.count < capacity {
            recent.append(description)
        } else {
            recent[nextSlot] = description
        }
        nextSlot = (nextSlot + 1) % capacity
        sink?(description)
    }

    /// The last recorded descriptions, oldest first.
    var recentEvents: [String] {
        guard recent.count == capacity else { return recent }
        return Array(recent[nextSlot...] + recent[..<nextSlot])
    }
}
