import DequeModule
import RaftCore

/// Where one written entry lives: 16 bytes per entry, so a million entries cost 16 MB while
/// their payloads stay on disk.
@usableFromInline struct DiskSlot: Hashable, Sendable {
    @usableFromInline var segment: UInt64
    @usableFromInline var offset: UInt32
    /// Header plus payload, unpadded.
    @usableFromInline var length: UInt32

    @inlinable init(segment: UInt64, offset: UInt32, length: UInt32) {
        self.segment = segment
        self.offset = offset
        self.length = length
    }
}

/// The locations of the entries that reached the segment files, in log order.
///
/// Kept in step with the record stream: the writer (and recovery) apply appends, truncations
/// and purges in the order they were written, so the index always describes what a reader of
/// the files would find.
@usableFromInline struct DiskIndex: Sendable {
    @usableFromInline var firstIndex: LogIndex = 1
    @usableFromInline var slots = Deque<DiskSlot>()

    @inlinable var count: Int { slots.count }
    @inlinable var lastIndex: LogIndex { firstIndex + LogIndex(slots.count) - 1 }

    @inlinable func slot(at index: LogIndex) -> DiskSlot? {
        guard index >= firstIndex, index < firstIndex + LogIndex(slots.count) else { return nil }
        return slots[Int(index - firstIndex)]
    }

    @inlinable mutating func append(_ slot: DiskSlot, at index: LogIndex) {
        if slots.isEmpty { firstIndex = index }
        precondition(index == firstIndex + LogIndex(slots.count), "disk index append at \(index) is not contiguous")
        slots.append(slot)
    }

    @inlinable mutating func truncate(after index: LogIndex) {
        guard !slots.isEmpty, index < lastIndex else { return }
        if index < firstIndex {
            slots.removeAll()
            firstIndex = index + 1
        } else {
            slots.removeLast(Int(lastIndex - index))
        }
    }

    @inlinable mutating func purge(upTo index: LogIndex) {
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
    @inlinable var firstSegment: UInt64? { slots.first?.segment }
}
