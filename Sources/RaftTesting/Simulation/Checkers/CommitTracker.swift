import RaftCore

/// The cluster's committed log as the checkers know it: the longest prefix any node has
/// declared committed, with the leader that first committed each entry.
///
/// Checks that commit points agree (an index commits one entry, once, forever), never go
/// backwards within a node's life, and are first raised by a leader, to an entry of its own
/// (Raft §5.4.2: an earlier leader's entries commit only beneath one of the leader's own,
/// never by counting their replicas, Figure 8).
struct CommitTracker {
    private(set) var entries: [LogID] = []
    private(set) var committingLeaders: [LeaderID] = []
    /// Runs of consecutive indexes first committed by one leader: (leader, last index of the run).
    private var committingRuns: [(leader: LeaderID, lastIndex: LogIndex)] = []
    /// The last membership configuration at or before the commit point.
    private(set) var configInForce: (logID: LogID, config: MembershipConfig)?
    /// The configuration the leader decided the last commit with: its effective one, which
    /// may come after the commit point (Raft §6: a configuration is used once appended).
    private(set) var commitConfig: MembershipConfig?
    private var nodeCommitted: [NodeID: (incarnation: UInt64, committed: LogID?)] = [:]

    var committedIndex: LogIndex { LogIndex(entries.count) }
    var lastCommitted: LogID? { entries.last }

    func committed(at index: LogIndex) -> LogID? {
        guard index >= 1, index <= committedIndex else { return nil }
        return entries[Int(index - 1)]
    }

    func committingLeader(at index: LogIndex) -> LeaderID? {
        guard index >= 1, index <= committedIndex else { return nil }
        return committingLeaders[Int(index - 1)]
    }

    /// The highest index first committed by a leader newer than `leader` (0 if none): a
    /// read `leader` serves from now on must reflect at least this much.
    func highestIndexCommitted(byLeaderNewerThan leader: LeaderID) -> LogIndex {
        var highest: LogIndex = 0
        for run in committingRuns where run.leader > leader { highest = max(highest, run.lastIndex) }
        return highest
    }

    /// Records a node's commit point after a step.
    ///
    /// - Parameters:
    ///   - logID: the id the node's log holds at an index (nil if purged or absent).
    ///   - leading: the node's leader id if it leads, or led until this step (a leader may
    ///     commit and step down in one step, for example when it removed itself).
    ///   - effectiveConfig: the node's effective configuration, which decided the commit.
    ///   - config: the configuration carried by a membership entry, if the entry is one.
    /// - Returns: the indexes that became committed, and a violation if any.
    mutating func observe(
        node: NodeID, incarnation: UInt64, committed: LogID?, leading: LeaderID?, effectiveConfig: MembershipConfig,
        logID: (LogIndex) -> LogID?, config: (LogID) -> MembershipConfig?
    ) -> (newlyCommitted: Range<LogIndex>, violation: SimulationViolation?) {
        let empty = committedIndex + 1..<committedIndex + 1
        if let previous = nodeCommitted[node], previous.incarnation == incarnation,
           committed.indexOrZero < previous.committed.indexOrZero {
            return (empty, SimulationViolation(property: "commit monotonic", detail: "node \(node) commit point went back from \(describe(previous.committed)) to \(describe(committed))"))
        }
        nodeCommitted[node] = (incarnation, committed)
        guard let committed else { return (empty, nil) }
        if committed.index <= committedIndex {
            if entries[Int(committed.index - 1)] != committed {
                return (empty, SimulationViolation(property: "state machine safety", detail: "node \(node) says \(committed) is committed, but \(entries[Int(committed.index - 1)]) committed at that index"))
            }
            return (empty, nil)
        }
        guard let leading else {
            return (empty, SimulationViolation(property: "commit safety", detail: "node \(node) committed \(committed) beyond the cluster's commit point \(describe(lastCommitted)) without leading"))
        }
        let start = committedIndex + 1
        var additions: [LogID] = []
        for index in start...committed.index {
            guard let id = logID(index) else {
                return (empty, SimulationViolation(property: "commit safety", detail: "leader \(leading) committed \(committed) but its log lacks index \(index)"))
            }
            additions.append(id)
        }
        if additions.last != committed {
            return (empty, SimulationViolation(property: "commit safety", detail: "leader \(leading) committed \(committed) but holds \(describe(additions.last)) there"))
        }
        if committed.leaderID != leading {
            return (empty, SimulationViolation(
                property: "leader commits only its own entries",
                detail: "leader \(leading) raised the commit point from \(describe(lastCommitted)) to \(committed), an entry of leader \(committed.leaderID)"))
        }
        if let previous = entries.last, let first = additions.first, first.leaderID < previous.leaderID {
            return (empty, SimulationViolation(property: "log matching", detail: "committed \(first) follows committed \(previous) of a newer leader"))
        }
        for id in additions {
            entries.append(id)
            committingLeaders.append(leading)
            if let newConfig = config(id) { configInForce = (id, newConfig) }
        }
        if committingRuns.last?.leader == leading {
            committingRuns[committingRuns.count - 1].lastIndex = committed.index
        } else {
            committingRuns.append((leading, committed.index))
        }
        commitConfig = effectiveConfig
        return (start..<committed.index + 1, nil)
    }
}
