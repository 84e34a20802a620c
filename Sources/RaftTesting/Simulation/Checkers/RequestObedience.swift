import RaftCore

/// What a node's engine shows of its promises and its log, taken just before and just after
/// it handles one message.
struct ReceiverState: Equatable {
    var vote: Vote
    var lastLogID: LogID?
    var committed: LogID?
    var purged: LogID?

    init(vote: Vote, lastLogID: LogID?, committed: LogID?, purged: LogID?) {
        self.vote = vote
        self.lastLogID = lastLogID
        self.committed = committed
        self.purged = purged
    }

    init(_ engine: SimEngine) {
        self.init(vote: engine.vote, lastLogID: engine.lastLogID, committed: engine.committed, purged: engine.lastPurgedLogID)
    }
}

/// Requests a node must not act on.
///
/// - An append or snapshot whose vote is lower than the receiver's (Raft §5.1: a request of a
///   stale term is rejected) changes neither its log, nor its commit point, nor its purge
///   point, and is never answered with success: the receiver has promised a newer leader
///   that it would not.
/// - A pre-vote (Raft thesis §9.6) changes neither the receiver's vote nor its term: that is
///   what keeps a node that cannot win from disrupting the cluster.
enum RequestObedienceChecker {
    /// Whether `request` is an append or a snapshot with a vote below the receiver's.
    static func isFromLowerVote(_ message: RaftMessage<SimTypes>, receiverVote: Vote, mode: LeaderIDMode) -> Bool {
        switch message {
        case .appendEntries(let request): return !request.vote.isAtLeast(receiverVote, mode: mode)
        case .installSnapshot(let request): return !request.vote.isAtLeast(receiverVote, mode: mode)
        default: return false
        }
    }

    /// Compares the receiver before and after it handled `message` from `sender`.
    static func check(
        _ message: RaftMessage<SimTypes>, from sender: NodeID, to node: NodeID, before: ReceiverState, after: ReceiverState, mode: LeaderIDMode
    ) -> SimulationViolation? {
        if isFromLowerVote(message, receiverVote: before.vote, mode: mode),
           before.lastLogID != after.lastLogID || before.committed != after.committed || before.purged != after.purged {
            return SimulationViolation(
                property: "no action on a lower vote",
                detail: "node \(node) with vote \(before.vote) acted on \(message) from node \(sender): "
                    + "log \(describe(before.lastLogID)) -> \(describe(after.lastLogID)), commit \(describe(before.committed)) -> \(describe(after.committed)), "
                    + "purged \(describe(before.purged)) -> \(describe(after.purged))")
        }
        if case .vote(let request) = message, request.isPreVote, before.vote != after.vote {
            return SimulationViolation(
                property: "pre-vote changes no vote",
                detail: "node \(node) went from vote \(before.vote) to \(after.vote) answering \(message) from node \(sender)")
        }
        return nil
    }

    /// A node answers a request it received with a lower vote than its own.
    static func checkAnswer(_ response: RaftMessage<SimTypes>, to requester: NodeID, from node: NodeID) -> SimulationViolation? {
        let succeeded: Bool
        switch response {
        case .appendEntriesResponse(let answer): if case .success = answer.outcome { succeeded = true } else { succeeded = false }
        case .installSnapshotResponse(let answer): if case .installed = answer.outcome { succeeded = true } else { succeeded = false }
        default: succeeded = false
        }
        guard succeeded else { return nil }
        return SimulationViolation(
            property: "no action on a lower vote",
            detail: "node \(node) answered \(response) to node \(requester), whose request came with a vote lower than node \(node)'s")
    }

    /// A node starts installing a snapshot it received with a lower vote than its own.
    static func checkInstall(snapshotID: String, on node: NodeID) -> SimulationViolation {
        SimulationViolation(property: "no action on a lower vote", detail: "node \(node) installs snapshot \(snapshotID), sent with a vote lower than node \(node)'s")
    }
}
