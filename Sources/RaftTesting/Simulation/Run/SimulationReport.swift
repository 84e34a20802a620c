/// A safety or liveness property that a run broke.
public struct SimulationViolation: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The property's name (for example "log matching").
    public var property: String
    /// What was seen, naming nodes and log ids.
    public var detail: String

    /// A violation of `property`, with the details.
    public init(property: String, detail: String) {
        self.property = property
        self.detail = detail
    }

    public var description: String { "\(property): \(detail)" }
}

/// Counts that describe what a run exercised.
public struct SimulationStats: Hashable, Sendable, Codable {
    /// Raft messages handed to the network, and those it lost (loss, partitions, down nodes).
    public var messagesSent = 0
    /// Messages the network dropped.
    public var messagesDropped = 0
    /// Requests the network held back to deliver after terms moved on.
    public var staleMessages = 0
    /// Process crashes of any cause, and the restarts among them with a wiped data directory.
    public var crashes = 0
    /// Restarts with an empty data directory.
    public var wipes = 0
    /// Bits flipped in synced entries or votes.
    public var bitFlips = 0
    /// EIO on read or write and fsync failures (each stops its node).
    public var diskErrors = 0
    /// Crashes that tore the last surviving append.
    public var tornWrites = 0
    /// Leaderships won.
    public var elections = 0
    /// Membership changes the operator started (including re-admissions).
    public var membershipChanges = 0
    /// Leadership transfers the operator started at random.
    public var transfers = 0
    /// Snapshots built.
    public var snapshotsBuilt = 0
    /// Snapshots installed from a leader.
    public var snapshotsInstalled = 0
    /// Nodes that lost data and were allowed to vote again.
    public var readmissions = 0
    /// The cluster's commit index at the end.
    public var committedIndex: UInt64 = 0
    /// Client reads served that asked for a lease (one whose lease had lapsed is confirmed by
    /// a quorum round instead, and still counts here).
    public var leaseReads = 0
    /// Client reads served that asked for a read index (a quorum round).
    public var readIndexReads = 0
    /// Client operations by outcome.
    public var operationsOK = 0
    /// Client operations that certainly did not take effect.
    public var operationsFailed = 0
    /// Client operations whose outcome stayed unknown.
    public var operationsUnknown = 0
    /// Simulated time from the end of faults to full recovery (liveness).
    public var recoveryNanoseconds: UInt64 = 0
    /// Keys whose history the linearizability search could not decide within its budget.
    public var linearizabilityTimeouts = 0

    /// All counters at zero.
    public init() {}
}

/// The outcome of one simulated run (Codable, so that `raft-sim` can run seeds in child
/// processes and collect their reports).
public struct SimulationReport: Sendable, Codable {
    /// The seed the run was drawn from.
    public var seed: UInt64
    /// FNV-1a over the canonical description of every event: equal for equal runs.
    public var traceHash: UInt64
    /// Events processed (moot ones, such as timers already cancelled, are not counted).
    public var steps: Int
    /// Simulated nanoseconds at the end of the run.
    public var simulatedNanoseconds: UInt64
    /// The first property broken, nil if the run passed.
    public var violation: SimulationViolation?
    /// The last events before the end (or the violation), oldest first.
    public var recentEvents: [String]
    /// What the run exercised.
    public var stats: SimulationStats
    /// The run's parameters as drawn from the seed, for the report.
    public var setup: String

    /// No property was broken.
    public var passed: Bool { violation == nil }
}
