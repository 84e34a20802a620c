/// A safety or liveness property that a run broke.
public struct SimulationViolation: Error, Hashable, Sendable, CustomStringConvertible {
    /// The property's name (for example "log matching").
    public var property: String
    public var detail: String

    public init(property: String, detail: String) {
        self.property = property
        self.detail = detail
    }

    public var description: String { "\(property): \(detail)" }
}

/// Counts that describe what a run exercised.
public struct SimulationStats: Hashable, Sendable {
    public var messagesSent = 0
    public var messagesDropped = 0
    public var crashes = 0
    public var wipes = 0
    public var bitFlips = 0
    public var diskErrors = 0
    public var tornWrites = 0
    public var elections = 0
    public var membershipChanges = 0
    public var transfers = 0
    public var snapshotsBuilt = 0
    public var snapshotsInstalled = 0
    public var readmissions = 0
    public var committedIndex: UInt64 = 0
    public var operationsOK = 0
    public var operationsFailed = 0
    public var operationsUnknown = 0
    /// Simulated time from the end of faults to full recovery (liveness).
    public var recoveryNanoseconds: UInt64 = 0
    /// Keys whose history the linearizability search could not decide within its budget.
    public var linearizabilityTimeouts = 0

    public init() {}
}

/// The outcome of one simulated run.
public struct SimulationReport: Sendable {
    public var seed: UInt64
    /// FNV-1a over the canonical description of every event: equal for equal runs.
    public var traceHash: UInt64
    public var steps: Int
    /// Simulated nanoseconds at the end of the run.
    public var simulatedNanoseconds: UInt64
    /// The first property broken, nil if the run passed.
    public var violation: SimulationViolation?
    /// The last events before the end (or the violation), oldest first.
    public var recentEvents: [String]
    public var stats: SimulationStats
    /// The run's parameters as drawn from the seed, for the report.
    public var setup: String

    public var passed: Bool { violation == nil }
}
