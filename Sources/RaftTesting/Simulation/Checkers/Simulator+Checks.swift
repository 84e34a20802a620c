import RaftCore

/// Runs the safety checkers after every step, on the nodes the step touched and on the
/// cluster's durable state.
extension Simulator {
    func checkAfterStep() {
        guard violation == nil else { return }
        for id in uniqueTouched() {
            checkNode(node(id))
            if violation != nil { return }
        }
        let problem = CommitDurabilityChecker.check(
            commits: commits, nodes: allNodeIDs,
            holds: { self.node($0).disk.durable.holds($1) },
            damaged: { self.damaged[Int($0)] })
        if let problem { violation = problem }
    }

    private func checkNode(_ node: SimNode) {
        guard let engine = node.engine else {
            leadershipSeen[node.id] = nil
            _ = leaderAppendOnly.observe(node: node.id, incarnation: node.incarnation, leaderID: nil, last: nil, purgedIndex: 0, logID: { _ in nil })
            return
        }
        if let problem = StateOrderingChecker.check(
            node: node.id, purged: engine.lastPurgedLogID, snapshot: engine.snapshot?.lastLogID,
            applied: engine.applied, committed: engine.committed, last: engine.lastLogID) {
            violation = problem
            return
        }
        let leading = engine.isLeader ? engine.leaderID : nil
        if let leaderID = leading {
            if let problem = electionSafety.observeLeader(leaderID, incarnation: node.incarnation) {
                violation = problem
                return
            }
            if leadershipSeen[node.id].map({ $0 != (leaderID, node.incarnation) }) ?? true {
                leadershipSeen[node.id] = (leaderID, node.incarnation)
                if let problem = LeaderCompletenessChecker.check(
                    leader: leaderID, indexes: 1..<commits.committedIndex + 1, commits: commits,
                    purged: engine.lastPurgedLogID, logID: { engine.logID(at: $0) }) {
                    violation = problem
                    return
                }
            }
        } else {
            leadershipSeen[node.id] = nil
        }
        if let problem = leaderAppendOnly.observe(
            node: node.id, incarnation: node.incarnation, leaderID: leading, last: engine.lastLogID,
            purgedIndex: engine.lastPurgedLogID.indexOrZero, logID: { engine.logID(at: $0) }) {
            violation = problem
            return
        }
        // A leader that committed and stepped down in this step still holds its own vote.
        let justLed = engine.vote.committed && engine.vote.votedFor == node.id ? engine.vote.leaderID : nil
        let (newlyCommitted, problem) = commits.observe(
            node: node.id, incarnation: node.incarnation, committed: engine.committed, leading: leading ?? justLed,
            effectiveConfig: engine.effectiveMembership.config,
            logID: { engine.logID(at: $0) }, config: { self.logMatching.config(of: $0) })
        if let problem {
            violation = problem
            return
        }
        guard !newlyCommitted.isEmpty else { return }
        for other in nodes {
            guard let otherEngine = other.engine, otherEngine.isLeader, let otherID = otherEngine.leaderID else { continue }
            if let problem = LeaderCompletenessChecker.check(
                leader: otherID, indexes: newlyCommitted, commits: commits,
                purged: otherEngine.lastPurgedLogID, logID: { otherEngine.logID(at: $0) }) {
                violation = problem
                return
            }
        }
    }
}
