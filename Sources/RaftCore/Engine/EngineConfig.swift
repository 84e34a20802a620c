/// When the engine asks the state machine for a snapshot.
public enum SnapshotPolicy: Hashable, Sendable, Codable {
    /// After this many entries have been applied since the last snapshot.
    case everyAppliedEntries(UInt64)
    /// Only when triggered.
    case never
}

/// The engine's tunables. Validated by ``validate()``; the runtime's configuration builds one.
public struct EngineConfig: Hashable, Sendable, Codable {
    /// How often a leader asserts itself when idle.
    public var heartbeatInterval: Duration = .milliseconds(50)
    /// A follower campaigns after hearing nothing for a random time in this range.
    public var electionTimeoutMin: Duration = .milliseconds(150)
    /// Upper bound (exclusive) of the randomized election timeout.
    public var electionTimeoutMax: Duration = .milliseconds(300)
    /// Ask "would you vote for me?" before incrementing the term, so that a node coming back
    /// from a partition cannot depose a healthy leader.
    public var preVote: Bool = true
    /// A leader steps down when no commit quorum has acknowledged it within
    /// `electionTimeoutMax`, and refuses writes from then on.
    public var checkQuorum: Bool = true
    /// How long a quorum acknowledgement lets a leader serve reads without a round trip.
    /// Must be below `electionTimeoutMin`; the gap absorbs clock drift between nodes.
    public var leaseDuration: Duration = .milliseconds(120)
    /// How votes of one term compare; see ``LeaderIDMode``.
    public var leaderIDMode: LeaderIDMode = .advanced
    /// Entries and bytes in one append message.
    public var maxEntriesPerMessage: Int = 1024
    /// Entry bytes in one append message (at least one entry is always sent).
    public var maxBytesPerMessage: Int = 1 << 20
    /// Append messages and entry bytes in flight to one follower.
    public var maxInflightMessages: Int = 64
    /// Entry bytes in flight to one follower.
    public var maxInflightBytes: Int = 32 << 20
    /// Entries handed to the state machine in one apply.
    public var maxEntriesPerApply: Int = 4096
    /// Recent entries kept in memory for replication and apply.
    public var maxCachedEntries: Int = 1 << 17
    /// Bytes of recent entries kept in memory.
    public var maxCachedBytes: Int = 128 << 20
    /// When snapshots are built; see ``SnapshotPolicy``.
    public var snapshotPolicy: SnapshotPolicy = .everyAppliedEntries(5000)
    /// Entries kept in the log after a snapshot, so slightly lagging followers need no snapshot.
    public var logsKeptAfterSnapshot: UInt64 = 1000
    /// Purge only when at least this many entries can go at once.
    public var purgeBatchSize: UInt64 = 256
    /// First delay before retrying an unreachable peer; doubles up to `maxBackoff`.
    public var minBackoff: Duration = .milliseconds(50)
    /// Longest delay between retries of an unreachable peer.
    public var maxBackoff: Duration = .seconds(2)
    /// A leadership transfer not completed within this time is abandoned.
    public var transferTimeout: Duration = .milliseconds(600)

    /// The defaults: a LAN cluster with 50 ms heartbeats.
    @inlinable public init() {}

    /// A reason this configuration is unusable, naming the field, or nil.
    @inlinable public func validate() -> EngineConfigError? {
        if heartbeatInterval <= .zero { return EngineConfigError(field: "heartbeatInterval", reason: "must be positive") }
        if electionTimeoutMin <= heartbeatInterval { return EngineConfigError(field: "electionTimeoutMin", reason: "must exceed heartbeatInterval") }
        if electionTimeoutMax <= electionTimeoutMin { return EngineConfigError(field: "electionTimeoutMax", reason: "must exceed electionTimeoutMin") }
        if leaseDuration <= .zero || leaseDuration >= electionTimeoutMin { return EngineConfigError(field: "leaseDuration", reason: "must be positive and below electionTimeoutMin") }
        if maxEntriesPerMessage < 1 { return EngineConfigError(field: "maxEntriesPerMessage", reason: "must be at least 1") }
        if maxBytesPerMessage < 1 { return EngineConfigError(field: "maxBytesPerMessage", reason: "must be at least 1") }
        if maxInflightMessages < 1 { return EngineConfigError(field: "maxInflightMessages", reason: "must be at least 1") }
        if maxInflightBytes < 1 { return EngineConfigError(field: "maxInflightBytes", reason: "must be at least 1") }
        if maxEntriesPerApply < 1 { return EngineConfigError(field: "maxEntriesPerApply", reason: "must be at least 1") }
        if maxCachedEntries < 1 { return EngineConfigError(field: "maxCachedEntries", reason: "must be at least 1") }
        if case .everyAppliedEntries(let n) = snapshotPolicy, n < 1 { return EngineConfigError(field: "snapshotPolicy", reason: "must snapshot after at least 1 entry") }
        if purgeBatchSize < 1 { return EngineConfigError(field: "purgeBatchSize", reason: "must be at least 1") }
        if minBackoff <= .zero || maxBackoff < minBackoff { return EngineConfigError(field: "minBackoff", reason: "must be positive and at most maxBackoff") }
        if transferTimeout <= .zero { return EngineConfigError(field: "transferTimeout", reason: "must be positive") }
        return nil
    }
}

/// A configuration field with an unusable value.
public struct EngineConfigError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The field's name.
    public var field: String
    /// Why the value is unusable.
    public var reason: String

    @inlinable init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
    @inlinable public var description: String { "invalid config \(field): \(reason)" }
}
