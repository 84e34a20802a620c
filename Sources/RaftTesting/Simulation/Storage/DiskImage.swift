import DequeModule
import RaftCore

/// One log entry as written on the simulated disk, with the checksum computed when it was
/// written. A bit flip changes the payload but not the stored checksum, so it is detected.
struct StoredEntry {
    var entry: SimEntry
    var checksum: UInt64

    init(_ entry: SimEntry) {
        self.entry = entry
        self.checksum = Self.checksum(of: entry)
    }

    static func checksum(of entry: SimEntry) -> UInt64 {
        fnv1a("\(entry.logID) \(entry.canonicalPayload)")
    }

    var isIntact: Bool { checksum == Self.checksum(of: entry) }
}

/// A write to the log store, as the executor issued it.
enum DiskOp {
    case saveVote(Vote)
    case append([SimEntry])
    case truncate(after: LogID?)
    case purge(upTo: LogID)
    case saveCommitted(LogID)
}

/// Everything one node keeps on disk: the log store's files and the snapshot store's.
struct DiskImage {
    var vote: Vote = .initial
    var voteChecksum: UInt64 = DiskImage.checksum(of: .initial)
    var purged: LogID?
    /// Contiguous entries after `purged`.
    var entries: Deque<StoredEntry> = []
    var committed: LogID?
    /// The log store's "commit frame": entries up to here were covered by a completed sync,
    /// so a bad checksum at or below it is corruption of acknowledged data, and above it a
    /// torn write of data nobody acknowledged.
    var syncedIndex: LogIndex = 0
    /// Written when the node found it had lost acknowledged state; cleared when an operator
    /// re-admits it. Survives restarts (a marker file in a real store).
    var votingSuspended = false
    /// Written atomically (temporary file and rename), so durable at once.
    var snapshot: StoredSnapshot?

    static func checksum(of vote: Vote) -> UInt64 { fnv1a("vote \(vote)") }

    var lastLogID: LogID? { entries.last?.entry.logID ?? purged }
    var lastIndex: LogIndex { lastLogID.indexOrZero }
    var firstIndex: LogIndex { purged.indexOrZero + 1 }

    func stored(at index: LogIndex) -> StoredEntry? {
        guard index >= firstIndex, index <= lastIndex, !entries.isEmpty else { return nil }
        return entries[Int(index - firstIndex)]
    }

    /// Whether this image durably holds the entry `id`: in its log, intact, or covered by its
    /// snapshot.
    func holds(_ id: LogID) -> Bool {
        if let snapshotLast = snapshot?.meta.lastLogID, snapshotLast.index >= id.index { return true }
        if let purged, purged.index >= id.index, snapshot != nil { return true }
        guard let stored = stored(at: id.index) else { return false }
        return stored.entry.logID == id && stored.isIntact
    }

    /// A flipped bit not yet found: a bad vote, or a bad entry the last sync covered.
    var hasLatentCorruption: Bool {
        if DiskImage.checksum(of: vote) != voteChecksum { return true }
        return entries.contains { $0.entry.index <= syncedIndex && !$0.isIntact }
    }

    /// Applies one write. Returns a complaint if the write is not one a correct executor
    /// could be asked to do (a gap in the log).
    mutating func apply(_ op: DiskOp) -> String? {
        switch op {
        case .saveVote(let newVote):
            vote = newVote
            voteChecksum = Self.checksum(of: newVote)
        case .append(let newEntries):
            guard let first = newEntries.first else { return nil }
            if first.index != lastIndex + 1 {
                return "append of \(first.logID) does not continue the stored log ending at \(describe(lastLogID))"
            }
            for entry in newEntries { entries.append(StoredEntry(entry)) }
        case .truncate(let after):
            let keepThrough = after.indexOrZero
            while let last = entries.last, last.entry.index > keepThrough { entries.removeLast() }
            syncedIndex = min(syncedIndex, keepThrough)
        case .purge(let upTo):
            guard upTo.index > purged.indexOrZero else { return nil }
            while let first = entries.first, first.entry.index <= upTo.index { entries.removeFirst() }
            purged = upTo
            syncedIndex = max(syncedIndex, min(upTo.index, lastIndex))
        case .saveCommitted(let id):
            committed = id
        }
        return nil
    }
}
