import RaftCore

/// State machine safety (Raft §5.4.3): no two nodes apply different entries at one index, and
/// only committed entries are applied.
struct StateMachineSafetyChecker {
    private var appliedAt: [LogIndex: (logID: LogID, payload: UInt64)] = [:]

    mutating func observeApply(_ entry: SimEntry, node: NodeID, commits: CommitTracker) -> SimulationViolation? {
        guard let committed = commits.committed(at: entry.index) else {
            return SimulationViolation(property: "applied only committed", detail: "node \(node) applied \(entry.logID) beyond the commit point \(describe(commits.lastCommitted))")
        }
        if committed != entry.logID {
            return SimulationViolation(property: "applied only committed", detail: "node \(node) applied \(entry.logID), but \(committed) committed at that index")
        }
        let payload = fnv1a(entry.canonicalPayload)
        if let first = appliedAt[entry.index] {
            if first.logID != entry.logID || first.payload != payload {
                return SimulationViolation(property: "state machine safety", detail: "node \(node) applied \(entry.logID) (\(entry.canonicalPayload)) at \(entry.index), another node applied \(first.logID)")
            }
        } else {
            appliedAt[entry.index] = (entry.logID, payload)
        }
        return nil
    }
}
