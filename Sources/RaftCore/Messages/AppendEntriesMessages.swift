/// Replicates entries (or, with none, asserts leadership and the commit index) to one node.
public struct AppendEntriesRequest<T: RaftTypeConfig>: Sendable, Codable {
    /// The leader's committed vote.
    public var vote: Vote
    /// The entry just before `entries`; the receiver must hold it to accept (log matching).
    public var prevLogID: LogID?
    /// Entries to append after `prevLogID`, contiguous; empty for a heartbeat.
    public var entries: [Entry<T>]
    /// The leader's commit point.
    public var leaderCommit: LogID?
    /// Chosen by the sender, echoed in the response; unique per sender.
    public var rpcID: UInt64

    /// Creates a request; `entries` must continue `prevLogID`.
    @inlinable public init(vote: Vote, prevLogID: LogID?, entries: [Entry<T>], leaderCommit: LogID?, rpcID: UInt64) {
        self.vote = vote
        self.prevLogID = prevLogID
        self.entries = entries
        self.leaderCommit = leaderCommit
        self.rpcID = rpcID
    }

    /// The id of the last entry this request asserts: the last entry, else `prevLogID`.
    @inlinable public var lastLogID: LogID? { entries.last?.logID ?? prevLogID }
}

/// The answer to an ``AppendEntriesRequest``.
public struct AppendEntriesResponse: Hashable, Sendable, Codable {
    /// What the receiver did with the request.
    public enum Outcome: Hashable, Sendable, Codable {
        /// The receiver's log matches the leader's through `matched`, durably.
        case success(matched: LogID?)
        /// The receiver does not hold `prevLogID`. Its log can only match the leader's at or
        /// before `hintIndex`, at an entry written by a leader not newer than `hintLeaderID`;
        /// the leader uses this to skip a whole conflicting term at once.
        case conflict(hintIndex: LogIndex, hintLeaderID: LeaderID?)
        /// The receiver has a greater vote (`vote` of the response); the sender is stale.
        case rejected
    }

    /// The receiver's vote when it answered.
    public var vote: Vote
    /// The id of the request this answers.
    public var rpcID: UInt64
    /// What the receiver did.
    public var outcome: Outcome
    /// The receiver may not vote or campaign (it lost its storage and waits to be re-admitted),
    /// so a leader does not try to hand it leadership.
    public var votingSuspended: Bool

    /// Creates a response.
    @inlinable public init(vote: Vote, rpcID: UInt64, outcome: Outcome, votingSuspended: Bool = false) {
        self.vote = vote
        self.rpcID = rpcID
        self.outcome = outcome
        self.votingSuspended = votingSuspended
    }
}
