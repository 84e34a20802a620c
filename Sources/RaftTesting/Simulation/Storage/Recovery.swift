import RaftCore

/// What a restarting node's storage layer finds and repairs before the engine starts.
struct Recovery {
    var state: RecoveredState<SimTypes>
    /// The repaired image to write back.
    var image: DiskImage
    /// A torn tail of unacknowledged writes was cut off (harmless).
    var tornEntriesDropped: Int
    /// Acknowledged state was unreadable (a bad checksum at or below the commit frame, or a
    /// bad vote): the node restarts with voting suspended.
    var lostAcknowledgedState: Bool

    /// Verifies every checksum of `image` and builds the engine's starting point.
    ///
    /// A bad entry above the last sync is a torn write nobody acknowledged: it and what
    /// follows are dropped. A bad entry at or below it, or a bad vote, is corruption of
    /// acknowledged data: the suffix from it is dropped too (the node cannot use it) and the
    /// node must not vote until re-admitted, because it may have promised something it no
    /// longer remembers (Protocol-Aware Recovery, FAST'18).
    init(from original: DiskImage, keyCount: Int) {
        var image = original
        var lost = false
        var torn = 0
        if DiskImage.checksum(of: image.vote) != image.voteChecksum {
            image.vote = .initial
            image.voteChecksum = DiskImage.checksum(of: .initial)
            lost = true
        }
        if let bad = image.entries.firstIndex(where: { !$0.isIntact }) {
            let badIndex = image.entries[bad].entry.index
            let dropped = image.entries.count - bad
            image.entries.removeLast(dropped)
            if badIndex <= image.syncedIndex {
                lost = true
            } else {
                torn = dropped
            }
            image.syncedIndex = min(image.syncedIndex, image.lastIndex)
        }
        if lost { image.votingSuspended = true }
        self.image = image
        self.tornEntriesDropped = torn
        self.lostAcknowledgedState = lost

        var runStarts: [LogID] = []
        var memberships: [StoredMembership<SimTypes>] = []
        let appliedIndex = image.snapshot?.meta.lastLogID.indexOrZero ?? 0
        for stored in image.entries {
            let id = stored.entry.logID
            if runStarts.last?.leaderID != id.leaderID { runStarts.append(id) }
            if let membership = stored.entry.membership, id.index > appliedIndex {
                memberships.append(StoredMembership(logID: id, membership: membership))
            }
        }
        state = RecoveredState(
            vote: image.vote,
            lastPurgedLogID: image.purged,
            logRunStarts: runStarts,
            lastLogID: image.lastLogID,
            committed: image.committed,
            lastApplied: image.snapshot?.meta.lastLogID,
            appliedMembership: image.snapshot?.meta.lastMembership ?? .empty,
            membershipsAfterApplied: memberships,
            snapshot: image.snapshot?.meta,
            tailEntries: image.entries.map(\.entry),
            votingSuspended: image.votingSuspended)
    }
}
