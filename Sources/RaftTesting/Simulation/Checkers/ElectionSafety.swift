import RaftCore

/// Election safety (Raft §5.2): at most one leader per leader id, and in standard mode at
/// most one per term.
///
/// A leader id names its node, so two nodes can never share one; what can go wrong is one
/// node leading the same leader id in two lives (a forgotten vote), or, in standard mode, two
/// nodes leading one term (a double vote).
struct ElectionSafetyChecker {
    let mode: LeaderIDMode
    private var incarnationOfLeader: [LeaderID: UInt64] = [:]
    private var leaderOfTerm: [Term: NodeID] = [:]

    init(mode: LeaderIDMode) { self.mode = mode }

    mutating func observeLeader(_ leaderID: LeaderID, incarnation: UInt64) -> SimulationViolation? {
        if let previous = incarnationOfLeader[leaderID], previous != incarnation {
            return SimulationViolation(property: "election safety", detail: "leader id \(leaderID) led by node \(leaderID.nodeID) in two lives (incarnations \(previous) and \(incarnation))")
        }
        incarnationOfLeader[leaderID] = incarnation
        guard mode == .standard else { return nil }
        if let other = leaderOfTerm[leaderID.term], other != leaderID.nodeID {
            return SimulationViolation(property: "election safety", detail: "two leaders in term \(leaderID.term): nodes \(other) and \(leaderID.nodeID)")
        }
        leaderOfTerm[leaderID.term] = leaderID.nodeID
        return nil
    }
}
