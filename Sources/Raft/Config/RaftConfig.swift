/// Everything a ``RaftNode`` can be tuned with. Defaults suit a LAN cluster; call
/// ``validate()`` (``RaftNode`` does) to get a typed error naming a bad field.
public struct RaftConfig: Sendable, Hashable, Codable {
    /// The protocol engine's settings (timeouts, batching, in-flight limits, snapshot policy).
    public var engine = EngineConfig()
    /// Time allowed for one append, vote or timeout-now RPC.
    public var rpcTimeout: Duration = .milliseconds(500)
    /// Time allowed for one snapshot chunk to be sent and acknowledged. The transfer as a
    /// whole has no deadline: it is allowed as long as chunks keep moving (field lesson 13).
    public var snapshotChunkTimeout: Duration = .seconds(5)
    /// Bytes of snapshot data per chunk.
    public var snapshotChunkSize: Int = 1 << 20
    /// Client writes proposed as one batch at most (one log append, one message per peer);
    /// more writes queued in the same turn are proposed as further batches.
    public var maxWritesPerTurn: Int = 4096
    /// An identifier shared by the nodes of one cluster, checked by transports that support it.
    public var clusterName: String = "swift-raft"
    /// The longest a client call (write, writeMany, read, membership change, transfer) waits
    /// for its answer unless the call names its own timeout; nil lets calls wait as long as
    /// the node runs. A write that times out answers ``RaftError/outcomeUnknown(_:)`` (its
    /// entry may still commit), a read ``RaftError/timeout``. Calls end sooner when the node
    /// learns their fate: a leader that steps down answers its uncommitted writes within one
    /// `engine.electionTimeoutMax`, which is usually enough for the next leader to tell it
    /// whether they committed.
    public var requestTimeout: Duration? = .seconds(30)

    /// The defaults: a LAN cluster with 50 ms heartbeats and a 30 s request timeout.
    @inlinable public init() {}

    /// The first bad field, or nil.
    @inlinable public func validate() -> RaftConfigError? {
        if let error = engine.validate() { return RaftConfigError(field: "engine.\(error.field)", reason: error.reason) }
        if rpcTimeout <= .zero { return RaftConfigError(field: "rpcTimeout", reason: "must be positive") }
        if snapshotChunkTimeout <= .zero { return RaftConfigError(field: "snapshotChunkTimeout", reason: "must be positive") }
        if snapshotChunkSize < 1 { return RaftConfigError(field: "snapshotChunkSize", reason: "must be at least 1 byte") }
        if maxWritesPerTurn < 1 { return RaftConfigError(field: "maxWritesPerTurn", reason: "must be at least 1") }
        if clusterName.isEmpty { return RaftConfigError(field: "clusterName", reason: "must not be empty") }
        if let requestTimeout, requestTimeout <= .zero { return RaftConfigError(field: "requestTimeout", reason: "must be positive (nil for none)") }
        return nil
    }
}

/// A configuration field with an unusable value.
public struct RaftConfigError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The field's name, e.g. `engine.electionTimeoutMax`.
    public var field: String
    /// Why the value is unusable.
    public var reason: String

    /// An error naming `field` and why its value is unusable.
    @inlinable public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    @inlinable public var description: String { "invalid configuration: \(field) \(reason)" }
}
