import RaftCore

/// Leader append-only (Raft §5.3): while a node leads one leader id, its log only grows; it
/// never overwrites or deletes its own entries (purging what a snapshot covers is allowed).
struct LeaderAppendOnlyChecker {
    private var lastSeen: [NodeID: (leaderID: LeaderID, incarnation: UInt64, last: LogID?)] = [:]

    /// - Parameter logID: the id the node's log holds at an index now.
    mutating func observe(
        node: NodeID, incarnation: UInt64, leaderID: LeaderID?, last: LogID?, purgedIndex: LogIndex,
        logID: (LogIndex) -> LogID?
    ) -> SimulationViolation? {
        guard let leaderID else {
            lastSeen[node] = nil
            return nil
        }
        defer { lastSeen[node] = (leaderID, incarnation, last) }
        guard let previous = lastSeen[node], previous.leaderID == leaderID, previous.incarnation == incarnation,
              let previousLast = previous.last else { return nil }
        if last.indexOrZero < previousLast.index {
            return SimulationViolation(property: "leader append-only", detail: "leader \(leaderID) log shrank from \(previousLast) to \(describe(last))")
        }
        if previousLast.index > purgedIndex, logID(previousLast.index) != previousLast {
            return SimulationViolation(property: "leader append-only", detail: "leader \(leaderID) overwrote \(previousLast) with \(describe(logID(previousLast.index)))")
        }
        return nil
    }
}
