import DequeModule
import RaftCore

/// Where one written entry lives: 16 bytes per entry, so a million entries cost 16 MB while
/// their payloads stay on disk.
struct DiskSlot: Hashable {
    var segment: UInt64
    var offset: UInt32
    /// Header plus payload, unpadded.
    var length: UInt32
}

/// The locations of the entries that reached the segment files, in log order.
///
/// Kept in step with the record stream: the writer (and recovery) apply appends, truncations
/// and purges in the order they were written, so the index always describes what a reader of
/// the files would find.
struct DiskIndex {
    private(set) var firstIndex: LogIndex = 1
    private(set) var slots = Deque<DiskSlot>()

    var count: Int { slots.count }
    var lastIndex: LogIndex { firstIndex + LogIndex(slots.count) - 1 }

    func slot(at index: LogIndex) -> DiskSlot? {
        guard index >= firstIndex, index < firstIndex + LogIndex(slots.count) else { return nil }
        return slots[Int(index - firstIndex)]
    }

    mutating func append(_ slot: DiskSlot, at index: LogIndex) {
        if slots.isEmpty { firstIndex = index }
        precondition(index == firstIndex + LogIndex(slots.count), "disk index append at \(index) is not contiguous")
        slots.append(slot)
    }

    mutating func truncate(after index: LogIndex) {
        guard !slots.isEmpty, index < lastIndex else { return }
        if index < firstIndex {
            slots.removeAll()
            firstIndex = index + 1
        } else {
            slots.removeLast(Int(lastIndex - index))
        }
    }

    mutating func purge(upTo index: LogIndex) {
        guard index >= firstIndex else { return }
        if slots.isEmpty || index >= lastIndex {
            slots.removeAll()
            firstIndex = index + 1
        } else {
            slots.removeFirst(Int(index - firstIndex + 1))
            firstIndex = index + 1
        }
    }

    /// The segment of the first indexed entry, if any.
    var firstSegment: UInt64? { slots.first?.segment }
}
