import RaftCore

/// Committed entries are immutable: a node never truncates one, and purges only what its
/// snapshot covers (field lesson 5).
enum CommittedTruncationChecker {
    /// A node is about to remove its entries after `after`, its log ending at `last`.
    static func checkTruncate(
        node: NodeID, after: LogID?, last: LogID?, snapshotIndex: LogIndex, commits: CommitTracker, logID: (LogIndex) -> LogID?
    ) -> SimulationViolation? {
        let first = max(after.indexOrZero, snapshotIndex) + 1
        let end = min(last.indexOrZero, commits.committedIndex)
        guard first <= end else { return nil }
        for index in first...end where logID(index) == commits.committed(at: index) {
            return SimulationViolation(property: "committed entry truncated", detail: "node \(node) truncated after \(describe(after)), deleting committed \(logID(index)!)")
        }
        return nil
    }

    /// A node is about to purge its log through `upTo`.
    static func checkPurge(node: NodeID, upTo: LogID, snapshotIndex: LogIndex) -> SimulationViolation? {
        guard upTo.index > snapshotIndex else { return nil }
        return SimulationViolation(property: "purge beyond snapshot", detail: "node \(node) purged through \(upTo), its snapshot ends at \(snapshotIndex)")
    }
}
