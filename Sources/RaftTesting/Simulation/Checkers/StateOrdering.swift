import RaftCore

/// State ordering (openraft's invariant): purged ≤ snapshot, applied ≤ committed ≤ last log
/// entry, on every node after every step.
enum StateOrderingChecker {
    static func check(node: NodeID, purged: LogID?, snapshot: LogID?, applied: LogID?, committed: LogID?, last: LogID?) -> SimulationViolation? {
        if purged.indexOrZero > snapshot.indexOrZero {
            return SimulationViolation(property: "state ordering", detail: "node \(node) purged through \(describe(purged)) beyond its snapshot \(describe(snapshot))")
        }
        if applied.indexOrZero > committed.indexOrZero {
            return SimulationViolation(property: "applied ≤ committed", detail: "node \(node) applied \(describe(applied)) beyond its commit point \(describe(committed))")
        }
        if committed.indexOrZero > last.indexOrZero {
            return SimulationViolation(property: "state ordering", detail: "node \(node) committed \(describe(committed)) beyond its last log entry \(describe(last))")
        }
        return nil
    }
}
