import RaftCore

/// How one simulated run is set up. Everything not fixed here is drawn from the seed.
public struct SimulationOptions: Sendable {
    /// Voters the cluster starts with (1...7). With membership faults, spare nodes up to a
    /// total of 7 can join later.
    public var nodeCount: Int = 3
    /// Simulated time during which faults are injected.
    public var faultDuration: Duration = .seconds(8)
    /// The fault phase also ends after this many events, if set.
    public var maxFaultSteps: Int?
    /// After faults heal, how long the cluster has to re-admit suspended nodes, elect a
    /// leader, commit a write and apply it on every voter.
    public var livenessBound: Duration = .seconds(20)
    /// The fault classes to inject.
    public var faults: FaultSet = .all
    /// Concurrent clients, each with one operation at a time.
    public var clientCount: Int = 3
    /// Keys the clients share (few, so that operations conflict).
    public var keyCount: Int = 3
    /// The engine's leader-id mode; drawn from the seed when nil.
    public var leaderIDMode: LeaderIDMode?
    /// Deliberately broken engine behaviour, to prove the checkers catch it (tests only).
    package var engineFaults: EngineTestingFaults = []

    /// The defaults: 3 voters, 8 s of every fault class, 3 clients on 3 keys.
    public init() {}

    /// Checks the ranges; returns a message naming the bad field.
    public func validate() -> String? {
        if !(1...7).contains(nodeCount) { return "nodeCount must be in 1...7" }
        if clientCount < 1 { return "clientCount must be at least 1" }
        if keyCount < 1 { return "keyCount must be at least 1" }
        if faultDuration <= .zero { return "faultDuration must be positive" }
        if livenessBound <= .zero { return "livenessBound must be positive" }
        return nil
    }
}
