import DequeModule

extension RaftEngine {
    /// Asks for a snapshot when the policy says enough entries were applied since the last.
    @inlinable mutating func maybeBuildSnapshot() {
        guard case .everyAppliedEntries(let interval) = config.snapshotPolicy else { return }
        let lastSnapshotIndex = snapshot?.lastLogID.indexOrZero ?? 0
        if applied.indexOrZero >= lastSnapshotIndex + interval { triggerSnapshot() }
    }

    /// Asks the state machine for a snapshot now (unless one is being built).
    @inlinable public mutating func triggerSnapshot() {
        guard !snapshotBuildInProgress, applied != nil else { return }
        snapshotBuildInProgress = true
        output.append(.buildSnapshot)
    }

    /// The state machine finished a snapshot; old entries may now be purged.
    @inlinable public mutating func snapshotBuilt(_ meta: SnapshotMeta<T>) {
        snapshotBuildInProgress = false
        if logIDLess(snapshot?.lastLogID, meta.lastLogID) { _snapshot = meta }
        purgeByPolicy()
    }

    /// Building failed; the next applied batch re-evaluates the policy, so compaction never
    /// stops for good because one trigger was lost (field lesson 25).
    @inlinable public mutating func snapshotBuildFailed() {
        snapshotBuildInProgress = false
    }

    /// Purges what the snapshot covers, keeping `logsKeptAfterSnapshot` entries and purging
    /// only in batches of at least `purgeBatchSize`.
    @inlinable mutating func purgeByPolicy() {
        let limit = purgeLimit
        guard limit > config.logsKeptAfterSnapshot else { return }
        let target = limit - config.logsKeptAfterSnapshot
        guard target > log.purgedIndex, target - log.purgedIndex >= config.purgeBatchSize else { return }
        purgeLog(upTo: target)
    }

    /// Nothing beyond the snapshot or beyond what is applied may be purged.
    @inlinable var purgeLimit: LogIndex {
        min(snapshot?.lastLogID.indexOrZero ?? 0, applied.indexOrZero)
    }

    /// Purges the log up to `index`, clamped to what a snapshot covers and what is applied.
    @inlinable public mutating func triggerPurge(upTo index: LogIndex) {
        let target = min(index, purgeLimit)
        guard target > log.purgedIndex else { return }
        purgeLog(upTo: target)
    }
}
