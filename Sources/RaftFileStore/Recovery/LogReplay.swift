import Raft
import RaftCore

/// Rebuilds the log from the record stream, checking every step against what the writer could
/// have produced. A violation means the files were damaged (or a segment went missing).
@usableFromInline struct LogReplay {
    @inlinable init() {}

    @usableFromInline var disk = DiskIndex()
    @usableFromInline var lastLogID: LogID?
    @usableFromInline var purged: LogID?
    @usableFromInline var committed: LogID?
    /// Entries up to this index precede the first surviving segment; they must all be purged.
    @usableFromInline var unloadedUpTo: LogIndex = 0
    /// The log id at `unloadedUpTo` (what a purge record proving them purged must cover).
    @usableFromInline var unloadedUpToID: LogID?
    @usableFromInline var started = false

    @inlinable mutating func start(base: LogID?) {
        started = true
        lastLogID = base
        unloadedUpTo = base.indexOrZero
        unloadedUpToID = base
    }

    @inlinable mutating func append(_ logID: LogID, _ slot: DiskSlot) -> String? {
        let expected = lastLogID.indexOrZero + 1
        guard logID.index == expected else {
            return "entry \(logID) where index \(expected) was expected"
        }
        disk.append(slot, at: logID.index)
        lastLogID = logID
        return nil
    }

    @inlinable mutating func truncate(after logID: LogID?) -> String? {
        guard logID.indexOrZero >= purged.indexOrZero else {
            return "truncation after \(logID.map(\.description) ?? "nil") is below the purge point"
        }
        if logID.indexOrZero < lastLogID.indexOrZero {
            disk.truncate(after: logID.indexOrZero)
            lastLogID = logID.indexOrZero == purged.indexOrZero ? purged : logID
        }
        if logID.indexOrZero < unloadedUpTo {
            unloadedUpTo = logID.indexOrZero
            unloadedUpToID = logID
        }
        return nil
    }

    @inlinable mutating func purge(upTo logID: LogID) {
        guard logID.index > purged.indexOrZero else { return }
        purged = logID
        disk.purge(upTo: logID.index)
        if logID.index >= lastLogID.indexOrZero { lastLogID = logID }
    }

    @inlinable mutating func commitMarker(_ logID: LogID?) -> String? {
        logID == lastLogID ? nil
            : "commit marker says the log ends at \(logID.map(\.description) ?? "nil"), replay says \(lastLogID.map(\.description) ?? "nil")"
    }
}
