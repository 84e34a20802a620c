import RaftCore

/// A node's vote never goes backwards (openraft's monotonic vote): in standard mode it votes
/// at most once per term; in advanced mode it moves only to a greater leader id. Checked on
/// every vote the node writes, against the vote its disk holds, so a second vote in a term
/// is caught when it is cast, not only when it elects a second leader.
///
/// A wiped disk or an unreadable vote restarts the comparison from the initial vote; such a
/// node is suspended, and the operator's re-admission keeps it from voting in old terms.
enum VoteMonotonicityChecker {
    static func check(node: NodeID, saving vote: Vote, over stored: Vote, mode: LeaderIDMode) -> SimulationViolation? {
        guard !vote.isAtLeast(stored, mode: mode) else { return nil }
        return SimulationViolation(property: "vote monotonic", detail: "node \(node) saved vote \(vote) over \(stored) (\(mode) mode)")
    }
}

/// A node that lost acknowledged state (wiped or corrupt storage) restarts with voting
/// suspended: until re-admitted it may adopt a leader's vote or a new term, never grant a
/// vote or campaign, since it may have promised something else in that term before.
enum SuspendedVotingChecker {
    static func check(node: NodeID, saving vote: Vote, suspended: Bool) -> SimulationViolation? {
        guard suspended, !vote.committed, let candidate = vote.votedFor else { return nil }
        let what = candidate == node ? "campaigned" : "voted for node \(candidate)"
        return SimulationViolation(property: "suspended voting", detail: "node \(node) \(what) in term \(vote.term) while its voting was suspended")
    }
}
