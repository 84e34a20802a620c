/// Describes a snapshot: the last log entry it covers and the membership in force there.
public struct SnapshotMeta<T: RaftTypeConfig>: Sendable, Codable, Equatable {
    /// The last entry the snapshot covers; nil for the state before any entry.
    public var lastLogID: LogID?
    /// The last membership at or before `lastLogID`. Restored with the snapshot, so membership
    /// survives any number of compactions (field lesson 11).
    public var lastMembership: StoredMembership<T>
    /// Unique per snapshot built; lets a receiver tell snapshots apart.
    public var snapshotID: String

    /// Describes a snapshot.
    @inlinable public init(lastLogID: LogID?, lastMembership: StoredMembership<T>, snapshotID: String) {
        self.lastLogID = lastLogID
        self.lastMembership = lastMembership
        self.snapshotID = snapshotID
    }
}

/// Installs a complete snapshot on a follower. The runtime streams the snapshot data in
/// chunks first; this request is what the engine sees once the data has arrived.
public struct InstallSnapshotRequest<T: RaftTypeConfig>: Sendable, Codable {
    /// The sending leader's committed vote.
    public var vote: Vote
    /// The snapshot being installed.
    public var meta: SnapshotMeta<T>
    /// Chosen by the sender, echoed in the response.
    public var rpcID: UInt64

    /// Creates a request.
    @inlinable public init(vote: Vote, meta: SnapshotMeta<T>, rpcID: UInt64) {
        self.vote = vote
        self.meta = meta
        self.rpcID = rpcID
    }
}

/// The answer to an ``InstallSnapshotRequest``.
public struct InstallSnapshotResponse: Hashable, Sendable, Codable {
    /// What the receiver did with the snapshot.
    public enum Outcome: Hashable, Sendable, Codable {
        /// The receiver's state now covers `matched` (the snapshot, or more if it was ahead).
        case installed(matched: LogID?)
        /// The receiver has a greater vote.
        case rejected
    }

    /// The receiver's vote when it answered.
    public var vote: Vote
    /// The id of the request this answers.
    public var rpcID: UInt64
    /// What the receiver did.
    public var outcome: Outcome

    /// Creates a response.
    @inlinable public init(vote: Vote, rpcID: UInt64, outcome: Outcome) {
        self.vote = vote
        self.rpcID = rpcID
        self.outcome = outcome
    }
}

/// Tells a fully caught-up node to campaign at once: the last step of a leadership transfer.
public struct TimeoutNowRequest: Hashable, Sendable, Codable {
    /// The current leader's committed vote; the target acts only on its own leader's request.
    public var vote: Vote
    /// The leader's last log id, which the target has matched.
    public var lastLogID: LogID?
    /// Chosen by the sender.
    public var rpcID: UInt64

    /// Creates a request.
    @inlinable public init(vote: Vote, lastLogID: LogID?, rpcID: UInt64) {
        self.vote = vote
        self.lastLogID = lastLogID
        self.rpcID = rpcID
    }
}
