/// What a node recovered from storage at startup; the engine starts from it.
public struct RecoveredState<T: RaftTypeConfig>: Sendable {
    public var vote: Vote
    public var lastPurgedLogID: LogID?
    /// The first id of each leadership run in the unpurged log, ascending (see
    /// `LogIDRunsLoader` in the runtime, which finds them by binary search).
    public var logRunStarts: [LogID]
    public var lastLogID: LogID?
    public var committed: LogID?
    public var lastApplied: LogID?
    /// The membership the state machine holds (the last one at or before `lastApplied`).
    public var appliedMembership: StoredMembership<T>
    /// Membership entries after `lastApplied`, in log order.
    public var membershipsAfterApplied: [StoredMembership<T>]
    public var snapshot: SnapshotMeta<T>?
    /// The newest entries of the log, to seed the in-memory cache (may be empty).
    public var tailEntries: [Entry<T>]
    /// The node lost state it had acknowledged (wiped or corrupt storage): it must not vote
    /// or campaign until an operator calls ``RaftEngine/resumeVoting()``.
    public var votingSuspended: Bool

    public init(
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
    public static var pristine: RecoveredState { RecoveredState() }
}
