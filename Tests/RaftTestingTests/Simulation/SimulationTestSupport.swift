import Foundation
import RaftCore
@testable import RaftTesting

/// Options for runs inside `swift test`: shorter than the CLI's so the suite stays quick in a
/// debug build, long enough for elections, crashes and membership changes to happen.
func testOptions(faultSeconds: Int64 = 3, _ change: (inout SimulationOptions) -> Void = { _ in }) -> SimulationOptions {
    var options = SimulationOptions()
    options.faultDuration = .seconds(faultSeconds)
    change(&options)
    return options
}

/// Runs one seed, naming it on standard error first (unbuffered): a seed that trips a
/// precondition kills the whole test process, and this line says which seed it was.
func simulate(seed: UInt64, options: SimulationOptions, trace: ((String) -> Void)? = nil) -> SimulationReport {
    var line = "simulating seed \(seed): \(options.nodeCount) nodes, faults \(options.faults), \(options.faultDuration)"
    if !options.engineFaults.isEmpty { line += ", broken engine \(options.engineFaults.rawValue)" }
    FileHandle.standardError.write(Data((line + "\n").utf8))
    if let trace { return Simulation.run(seed: seed, options: options, trace: trace) }
    return Simulation.run(seed: seed, options: options)
}

/// The first seed in `seeds` whose run breaks a property, with its report.
func firstFailure(seeds: ClosedRange<UInt64>, options: SimulationOptions) -> SimulationReport? {
    for seed in seeds {
        let report = simulate(seed: seed, options: options)
        if !report.passed { return report }
    }
    return nil
}

func entry(_ term: Term, _ node: NodeID, _ index: LogIndex, value: Int = 0) -> Entry<SimTypes> {
    Entry(logID: LogID(term: term, nodeID: node, index: index), payload: .command(SimKVCommand(operation: 0, action: .put(key: 0, value: value))))
}

func membershipEntry(_ term: Term, _ node: NodeID, _ index: LogIndex, voters: Set<NodeID>) -> Entry<SimTypes> {
    Entry(logID: LogID(term: term, nodeID: node, index: index), payload: .membership(Membership(config: MembershipConfig(voters: voters))))
}

func lid(_ term: Term, _ node: NodeID, _ index: LogIndex) -> LogID {
    LogID(term: term, nodeID: node, index: index)
}
