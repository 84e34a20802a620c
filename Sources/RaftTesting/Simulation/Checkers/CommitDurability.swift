import RaftCore

/// Committed entries are durable on a quorum of the configuration in force, and never lost:
/// the last committed entry (and with it every earlier one) is on the synced disks of nodes
/// forming a commit quorum of the configuration its leader decided with, forever.
///
/// Nodes whose disks the fault model damaged (wiped, or a corrupted acknowledged entry) are
/// excused: the fault atlas keeps them a minority of every configuration, so at least one
/// intact node of the quorum still holds the entry and the cluster can repair from it.
enum CommitDurabilityChecker {
    /// - Parameters:
    ///   - holds: whether a node's synced disk holds the entry (in its log, or its snapshot).
    ///   - damaged: whether a node's disk was damaged by an injected fault.
    static func check(
        commits: CommitTracker, nodes: [NodeID], holds: (NodeID, LogID) -> Bool, damaged: (NodeID) -> Bool
    ) -> SimulationViolation? {
        guard let last = commits.lastCommitted, let config = commits.commitConfig else { return nil }
        let holders = nodes.filter { holds($0, last) }
        let intactHolders = holders.filter { !damaged($0) }
        if intactHolders.isEmpty {
            return SimulationViolation(property: "committed entries never lost", detail: "committed \(last) is on no intact disk (holders \(holders))")
        }
        let isQuorum = config.quorum.isCommitQuorum { voter in holders.contains(voter) || damaged(voter) }
        if !isQuorum {
            return SimulationViolation(property: "committed durable on a quorum", detail: "committed \(last) is durable only on \(holders), not a quorum of \(config)")
        }
        return nil
    }
}
