/// What a node recovered from storage at startup; the engine starts from it.
public struct RecoveredState<T: RaftTypeConfig>: Sendable {
    /// The saved vote (``Vote/initial`` if none).
    public var vote: Vote
    /// The last entry removed by compaction.
    public var lastPurgedLogID: LogID?
    /// The first id of each leadership run in the unpurged log, ascending (see
    /// `LogIDRunsLoader` in the runtime, which finds them by binary search).
    public var logRunStarts: [LogID]
    /// The last entry in the log.
    public var lastLogID: LogID?
    /// The saved commit point, if the store keeps one.
    public var committed: LogID?
    /// The last entry the state machine applied.
    public var lastApplied: LogID?
    /// The membership the state machine holds (the last one at or before `lastApplied`).
    public var appliedMembership: StoredMembership<T>
    /// Membership entries after `lastApplied`, in log order.
    public var membershipsAfterApplied: [StoredMembership<T>]
    /// The newest snapshot's metadata.
    public var snapshot: SnapshotMeta<T>?
    /// The newest entries of the log, to seed the in-memory cache (may be empty).
    public var tailEntries: [Entry<T>]
    /// The node lost state it had acknowledged (wiped or corrupt storage): it must not vote
    /// or campaign until an operator calls ``RaftEngine/resumeVoting()``.
    public var votingSuspended: Bool

    /// A recovered state; every field defaults to that of a pristine node.
    @inlinable public init(
        vote: Vote = .initial, lastPurgedLogID: LogID? = nil, logRunStarts: [LogID] = [], lastLogID: LogID? = nil,
        committed: LogID? = nil, lastApplied: LogID? = nil, appliedMembership: StoredMembership<T> = .empty,
        membershipsAfterApplied: [StoredMembership<T>] = [], snapshot: SnapshotMeta<T>? = nil,
        tailEntries: [Entry<T>] = [], votingSuspended: Bool = false
    ) {
        self.vote = vote
        self.lastPurgedLogID = lastPurgedLogID
        self.logRunStarts = logRunStarts
        self.lastLogID = lastLogID
        self.committed = committed
        self.lastApplied = lastApplied
        self.appliedMembership = appliedMembership
        self.membershipsAfterApplied = membershipsAfterApplied
        self.snapshot = snapshot
        self.tailEntries = tailEntries
        self.votingSuspended = votingSuspended
    }

    /// A node that has never stored anything.
    @inlinable public static var pristine: RecoveredState { RecoveredState() }
}
