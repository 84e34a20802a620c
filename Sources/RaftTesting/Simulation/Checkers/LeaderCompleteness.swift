import RaftCore

/// Leader completeness (Raft §5.4): an entry committed under leader X is in the log of every
/// leader whose id is greater than X's.
///
/// Checked when a node starts leading (against everything committed so far) and when entries
/// commit (against every node leading then).
enum LeaderCompletenessChecker {
    /// - Parameters:
    ///   - indexes: the committed indexes to check.
    ///   - logID: the id the leader's log holds at an index.
    ///   - purged: the leader's purged id; what it covers is in the leader's snapshot.
    static func check(
        leader: LeaderID, indexes: Range<LogIndex>, commits: CommitTracker, purged: LogID?, logID: (LogIndex) -> LogID?
    ) -> SimulationViolation? {
        for index in indexes {
            guard let committed = commits.committed(at: index), let committer = commits.committingLeader(at: index),
                  committer < leader else { continue }
            if index < purged.indexOrZero { continue }
            if index == purged.indexOrZero {
                if purged == committed { continue }
                return SimulationViolation(property: "leader completeness", detail: "leader \(leader) purged through \(describe(purged)), but \(committed) committed there (under \(committer))")
            }
            if logID(index) != committed {
                return SimulationViolation(property: "leader completeness", detail: "leader \(leader) holds \(describe(logID(index))) at \(index), but \(committed) committed there under \(committer)")
            }
        }
        return nil
    }
}
