/// Asks for a vote (or, with `isPreVote`, whether a vote would be granted).
public struct VoteRequest: Hashable, Sendable, Codable {
    /// The candidate's vote for itself: the term it campaigns in and its id, uncommitted.
    public var vote: Vote
    /// The candidate's last log id, compared with the receiver's (term first, then index).
    public var lastLogID: LogID?
    /// A pre-vote changes no state on the receiver; it only asks "would you vote for me?".
    public var isPreVote: Bool
    /// The candidate campaigns because the leader handed over leadership: receivers grant even
    /// though they heard from that leader recently.
    public var isLeadershipTransfer: Bool
    /// Chosen by the sender, echoed in the response.
    public var rpcID: UInt64

    /// Creates a request.
    @inlinable public init(vote: Vote, lastLogID: LogID?, isPreVote: Bool, isLeadershipTransfer: Bool = false, rpcID: UInt64) {
        self.vote = vote
        self.lastLogID = lastLogID
        self.isPreVote = isPreVote
        self.isLeadershipTransfer = isLeadershipTransfer
        self.rpcID = rpcID
    }

    /// The campaigning node.
    @inlinable public var candidateID: NodeID { vote.votedFor! }
}

/// The answer to a ``VoteRequest``.
public struct VoteResponse: Hashable, Sendable, Codable {
    /// The receiver's vote after handling the request.
    public var vote: Vote
    /// Whether the receiver grants (or, for a pre-vote, would grant) its vote.
    public var granted: Bool
    /// Whether this answers a pre-vote.
    public var isPreVote: Bool
    /// The term the request campaigned in, so a late answer to an old campaign is recognized.
    public var requestTerm: Term
    /// The receiver's last log id.
    public var lastLogID: LogID?
    /// The id of the request this answers.
    public var rpcID: UInt64

    /// Creates a response.
    @inlinable public init(vote: Vote, granted: Bool, isPreVote: Bool, requestTerm: Term, lastLogID: LogID?, rpcID: UInt64) {
        self.vote = vote
        self.granted = granted
        self.isPreVote = isPreVote
        self.requestTerm = requestTerm
        self.lastLogID = lastLogID
        self.rpcID = rpcID
    }
}
