/// Runs deterministic simulations of a whole cluster: the real `RaftEngine` on every node,
/// with simulated time, network, disks, clocks and clients, faults drawn from a seed, Raft's
/// safety invariants checked after every step, the client history checked for
/// linearizability, and liveness checked once faults heal.
///
/// ```swift
/// let report = Simulation.run(seed: 42, options: SimulationOptions())
/// if let violation = report.violation { print(violation, report.recentEvents) }
/// ```
public enum Simulation {
    /// Runs one seed. The same seed and options always produce the same report, including
    /// its `traceHash`.
    public static func run(seed: UInt64, options: SimulationOptions) -> SimulationReport {
        if let problem = options.validate() { preconditionFailure("invalid simulation options: \(problem)") }
        return Simulator(seed: seed, options: options).run()
    }

    /// Runs one seed and hands every event's description to `trace` as it happens.
    public static func run(seed: UInt64, options: SimulationOptions, trace: @escaping (String) -> Void) -> SimulationReport {
        if let problem = options.validate() { preconditionFailure("invalid simulation options: \(problem)") }
        let simulator = Simulator(seed: seed, options: options)
        simulator.trace.sink = trace
        return simulator.run()
    }
}
