import Raft
import RaftCore

/// Reads entries that are no longer cached from the segment files, verifying each record.
///
/// Records adjacent in one segment are fetched with a single `pread` (up to `maxRunBytes`), so
/// catching up a follower costs one system call per run rather than per entry.
@usableFromInline struct EntryReader<Types: RaftTypeConfig> {
    /// Consecutive records of one segment.
    @usableFromInline struct Run {
        @usableFromInline var segment: SegmentFile
        @usableFromInline var firstIndex: LogIndex
        @usableFromInline var slots: [DiskSlot]

        @inlinable init(segment: SegmentFile, firstIndex: LogIndex, slots: [DiskSlot]) {
            self.segment = segment
            self.firstIndex = firstIndex
            self.slots = slots
        }

        @inlinable var startOffset: Int64 { Int64(slots[0].offset) }
        @inlinable var endOffset: Int64 { Int64(slots[slots.count - 1].offset) + Int64(slots[slots.count - 1].length) }
    }

    @inlinable static var maxRunBytes: Int64 { 4 << 20 }

    /// Groups the slots of `range` into runs; nil if an index is missing from the disk index.
    @inlinable static func plan(_ range: Range<LogIndex>, _ state: borrowing SharedLogState<Types>) -> [Run]? {
        var runs: [Run] = []
        for index in range {
            guard let slot = state.disk.slot(at: index) else { return nil }
            if var last = runs.last, last.segment.sequence == slot.segment,
               last.endOffset.roundedUp(toMultipleOf: 8) == Int64(slot.offset),
               Int64(slot.offset) + Int64(slot.length) - last.startOffset <= maxRunBytes {
                last.slots.append(slot)
                runs[runs.count - 1] = last
            } else {
                guard let segment = state.segments[slot.segment] else { return nil }
                runs.append(Run(segment: segment, firstIndex: index, slots: [slot]))
            }
        }
        return runs
    }

    @inlinable static func read(_ runs: [Run], fileSystem: any FileSystem, into entries: inout [Entry<Types>]) throws(StorageError) {
        for run in runs {
            let start = run.startOffset
            let count = Int(run.endOffset - start)
            let path = run.segment.path
            let handle = run.segment.handle
            let bytes = try withFile(.read, path, offset: start) { () throws(FileSystemError) in
                try fileSystem.read(handle, count: count, at: start)
            }
            var index = run.firstIndex
            for slot in run.slots {
                let offset = Int(Int64(slot.offset) - start)
                entries.append(try decode(bytes, at: offset, slot: slot, index: index, segment: run.segment))
                index += 1
            }
        }
    }

    @inlinable static func decode(_ bytes: [UInt8], at offset: Int, slot: DiskSlot, index: LogIndex, segment: SegmentFile) throws(StorageError) -> Entry<Types> {
        let location = Int64(slot.offset)
        guard let header = RecordHeader.parse(bytes, at: offset), header.type == .entry,
              RecordLayout.headerSize + header.payloadLength == Int(slot.length),
              offset + Int(slot.length) <= bytes.count
        else {
            throw StorageError.corruption(path: segment.path, offset: location, "entry record \(index) is missing or damaged")
        }
        guard RecordHeader.checksumMatches(bytes, at: offset, payloadLength: header.payloadLength, seed: segment.recordSeed) else {
            throw StorageError.corruption(path: segment.path, offset: location, "entry record \(index) fails its checksum")
        }
        do {
            let entry = try EntryRecord.decode(Types.self, bytes, payloadAt: offset + RecordLayout.headerSize, length: header.payloadLength)
            guard entry.index == index else {
                throw StorageError.corruption(path: segment.path, offset: location, "record holds entry \(entry.logID), index \(index) was expected")
            }
            return entry
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError.corruption(path: segment.path, offset: location, "entry record \(index) does not decode: \(error)")
        }
    }
}

extension Int64 {
    @inlinable func roundedUp(toMultipleOf alignment: Int64) -> Int64 {
        (self + alignment - 1) / alignment * alignment
    }
}
