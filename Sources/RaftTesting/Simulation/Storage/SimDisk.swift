import RaftCore

/// A simulated disk with fsync semantics.
///
/// Writes land in `visible` at once (readable, as a page cache makes them) and queue in
/// `unsynced`; a sync makes all of them durable. A crash keeps everything synced plus a
/// random prefix of the unsynced writes, the last of which may be torn.
struct SimDisk {
    private(set) var durable = DiskImage()
    private(set) var visible = DiskImage()
    private(set) var unsynced: [(op: DiskOp, io: IOID?)] = []

    var hasUnsyncedWrites: Bool { !unsynced.isEmpty }

    /// Executes a write; returns a complaint if it is malformed.
    mutating func write(_ op: DiskOp, io: IOID?) -> String? {
        if let complaint = visible.apply(op) { return complaint }
        unsynced.append((op, io))
        return nil
    }

    /// Makes every write so far durable; returns the highest I/O id among them.
    mutating func sync() -> IOID? {
        var highest: IOID?
        for (op, io) in unsynced {
            _ = durable.apply(op)
            if let io { highest = io }
        }
        unsynced.removeAll(keepingCapacity: true)
        durable.syncedIndex = durable.lastIndex
        visible.syncedIndex = durable.syncedIndex
        return highest
    }

    /// A power loss: writes after the last completed sync survive only as a prefix of
    /// `survivingWrites`; with `tornEntries` set, the last surviving write, if an append,
    /// kept only that many entries followed by one garbage entry.
    mutating func crash(survivingWrites: Int, tornEntries: Int?) {
        var image = durable
        for position in 0..<survivingWrites {
            let (op, _) = unsynced[position]
            if position == survivingWrites - 1, let keep = tornEntries, case .append(let entries) = op, keep < entries.count {
                _ = image.apply(.append(Array(entries[..<keep])))
                var garbage = StoredEntry(entries[keep])
                garbage.checksum ^= 0x5A5A_5A5A
                image.entries.append(garbage)
            } else {
                _ = image.apply(op)
            }
        }
        durable = image
        visible = image
        unsynced.removeAll()
    }

    /// The unsynced writes, for choosing what a crash keeps.
    var pendingWrites: [DiskOp] { unsynced.map(\.op) }

    /// Stores a snapshot; the snapshot store writes atomically, so it is durable at once.
    mutating func storeSnapshot(_ snapshot: StoredSnapshot) {
        durable.snapshot = snapshot
        visible.snapshot = snapshot
    }

    mutating func setVotingSuspended(_ suspended: Bool) {
        durable.votingSuspended = suspended
        visible.votingSuspended = suspended
    }

    /// Replaces the disk with an empty one (a wiped data directory).
    mutating func wipe() {
        durable = DiskImage()
        visible = DiskImage()
        unsynced.removeAll()
    }

    /// Flips a bit in the synced entry at `index`; returns false if there is none. The page
    /// cache holds the same bytes, so `visible` changes too unless a later write replaced them.
    mutating func corruptEntry(at index: LogIndex) -> Bool {
        guard index <= durable.syncedIndex, let target = durable.stored(at: index) else { return false }
        var damaged = target.entry
        if case .blank = damaged.payload {
            damaged.payload = .command(SimKVCommand(operation: 0, action: .put(key: 0, value: -1)))
        } else {
            damaged.payload = .blank
        }
        Self.replace(target.entry.logID, with: damaged, in: &durable)
        Self.replace(target.entry.logID, with: damaged, in: &visible)
        return true
    }

    private static func replace(_ id: LogID, with damaged: SimEntry, in image: inout DiskImage) {
        guard image.stored(at: id.index)?.entry.logID == id else { return }
        image.entries[Int(id.index - image.firstIndex)].entry = damaged
    }

    /// Flips a bit in the stored vote. A vote write still pending will overwrite it.
    mutating func corruptVote() {
        if visible.vote == durable.vote && visible.voteChecksum == durable.voteChecksum { visible.voteChecksum ^= 1 }
        durable.voteChecksum ^= 1
    }

    /// Restart-time repairs: replaces the images with `image` (both durable).
    mutating func replace(with image: DiskImage) {
        durable = image
        visible = image
        unsynced.removeAll()
    }
}
