@testable import RaftCore

/// Builds the state a node would recover from storage holding `entries`.
func recoveredState(
    entries: [TestEntry], vote: Vote, committed: LogID? = nil, lastApplied: LogID? = nil, votingSuspended: Bool = false
) -> RecoveredState<TestTypes> {
    var runStarts: [LogID] = []
    for entry in entries where runStarts.last?.leaderID != entry.logID.leaderID { runStarts.append(entry.logID) }
    var memberships: [StoredMembership<TestTypes>] = []
    for entry in entries { if let m = entry.membership { memberships.append(StoredMembership(logID: entry.logID, membership: m)) } }
    return RecoveredState(
        vote: vote, logRunStarts: runStarts, lastLogID: entries.last?.logID, committed: committed, lastApplied: lastApplied,
        membershipsAfterApplied: memberships, tailEntries: entries, votingSuspended: votingSuspended)
}

/// A log whose entry `i` (1-based) was written by a leader of term `terms[i-1]`; the first
/// entry carries `members` as the membership.
func logWithTerms(_ terms: [Term], members: Set<NodeID>) -> [TestEntry] {
    var entries: [TestEntry] = []
    for (position, term) in terms.enumerated() {
        let index = LogIndex(position + 1)
        let id = LogID(term: term, nodeID: 100 + term, index: index)
        entries.append(TestEntry(logID: id, payload: position == 0 ? .membership(membership(members)) : .command("t\(term)i\(index)")))
    }
    return entries
}

extension ManualCluster {
    /// Adds a node that restarts from `entries` (its store holds them).
    func addRecoveredNode(_ id: NodeID, entries: [TestEntry], vote: Vote, committed: LogID? = nil) {
        addNode(id, recovered: recoveredState(entries: entries, vote: vote, committed: committed))
        nodes[id]!.storedLog = entries
        nodes[id]!.storedVote = vote
    }
}
