import ArgumentParser
import Dispatch
import RaftCore
import RaftTesting
import Synchronization

/// `raft-sim`: runs seeded deterministic simulations of a cluster and reports violations.
@main
struct RaftSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft-sim",
        abstract: "Deterministic cluster simulation of the swift-raft engine.",
        discussion: """
            One seed replays one run exactly (--seed prints its trace hash). A range runs many and \
            summarizes (--seeds 1..500). A failing run prints its seed, the property it broke and \
            the events leading to it, and the command exits non-zero.
            Fault classes for --faults: \(FaultSet.named.map(\.name).joined(separator: ", ")); \
            prefix one with '-' to remove it (all,-wipes).
            """)

    @Option(help: "Run this one seed and print its trace hash.")
    var seed: UInt64?

    @Option(help: "Run the seeds A..B (inclusive).")
    var seeds: SeedRange?

    @Option(help: "Voters the cluster starts with (1...7).")
    var nodes: Int = 3

    @Option(help: "Seconds of simulated time with faults.")
    var duration: Double = 8

    @Option(help: "End the fault phase after this many events.")
    var steps: Int?

    @Option(help: "Fault classes to inject, comma-separated.")
    var faults: String = "all"

    @Option(help: "Leader id mode: advanced or standard (default: drawn from the seed).")
    var mode: String?

    @Option(help: "Seeds run in parallel (each run is single-threaded).")
    var jobs: Int = 2

    @Flag(help: "Print every event of a single seed.")
    var verbose = false

    @Option(help: "Events printed before a violation.")
    var tail: Int = 50

    @Option(help: .hidden)
    var brokenEngine: String?

    mutating func validate() throws {
        if seed == nil && seeds == nil { throw ValidationError("give --seed S or --seeds A..B") }
        if !(1...7).contains(nodes) { throw ValidationError("--nodes must be in 1...7") }
        if duration <= 0 { throw ValidationError("--duration must be positive") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let mode, LeaderIDMode(rawValue: mode) == nil { throw ValidationError("--mode must be advanced or standard") }
        do { _ = try FaultSet(parsing: faults) } catch { throw ValidationError(error.description) }
    }

    func makeOptions() throws -> SimulationOptions {
        var options = SimulationOptions()
        options.nodeCount = nodes
        options.faultDuration = .milliseconds(Int64(duration * 1000))
        options.maxFaultSteps = steps
        options.faults = try FaultSet(parsing: faults)
        options.leaderIDMode = mode.flatMap(LeaderIDMode.init(rawValue:))
        if let brokenEngine {
            guard let faults = BrokenEngine(rawValue: brokenEngine) else { throw ValidationError("unknown broken engine \(brokenEngine)") }
            options.engineFaults = faults.testingFaults
        }
        return options
    }

    func run() throws {
        let options = try makeOptions()
        if let seed {
            let report = verbose ? Simulation.run(seed: seed, options: options) { print($0) } : Simulation.run(seed: seed, options: options)
            print(Self.summary(report))
            if !report.passed {
                Self.printFailure(report, tail: tail, replay: replayCommand(seed: report.seed))
                throw ExitCode.failure
            }
        }
        if let seeds {
            let clock = ContinuousClock()
            let started = clock.now
            let reports = Self.runAll(seeds, options: options, jobs: jobs)
            let elapsed = clock.now - started
            let failures = reports.filter { !$0.passed }
            var totals = SimulationStats()
            var steps = 0
            for report in reports {
                steps += report.steps
                totals.crashes += report.stats.crashes
                totals.wipes += report.stats.wipes
                totals.bitFlips += report.stats.bitFlips
                totals.diskErrors += report.stats.diskErrors
                totals.elections += report.stats.elections
                totals.membershipChanges += report.stats.membershipChanges
                totals.snapshotsInstalled += report.stats.snapshotsInstalled
                totals.readmissions += report.stats.readmissions
                totals.operationsOK += report.stats.operationsOK
                totals.operationsUnknown += report.stats.operationsUnknown
                totals.linearizabilityTimeouts += report.stats.linearizabilityTimeouts
                totals.recoveryNanoseconds = max(totals.recoveryNanoseconds, report.stats.recoveryNanoseconds)
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let perMinute = Int((Double(reports.count) / max(seconds, 0.001) * 60).rounded())
            let tenths = Int((seconds * 10).rounded())
            let passed = reports.count - failures.count
            print("seeds \(seeds): \(passed) passed, \(failures.count) failed in \(tenths / 10).\(tenths % 10)s (\(perMinute) seeds/min, \(steps) events)")
            var exercised = "exercised: \(totals.elections) elections, \(totals.crashes) crashes, \(totals.wipes) wipes, "
            exercised += "\(totals.bitFlips) bit flips, \(totals.diskErrors) disk errors, "
            exercised += "\(totals.membershipChanges) membership changes, \(totals.snapshotsInstalled) snapshot installs, "
            exercised += "\(totals.readmissions) re-admissions, "
            exercised += "\(totals.operationsOK) ok / \(totals.operationsUnknown) unknown client operations, "
            exercised += "slowest recovery \(totals.recoveryNanoseconds / 1_000_000)ms, "
            exercised += "\(totals.linearizabilityTimeouts) undecided linearizability checks"
            print(exercised)
            for report in failures {
                print("")
                print(Self.summary(report))
                Self.printFailure(report, tail: tail, replay: replayCommand(seed: report.seed))
            }
            print("\(reports.count - failures.count) passed, \(failures.count) failed")
            if !failures.isEmpty { throw ExitCode.failure }
        }
    }

    static func runAll(_ range: SeedRange, options: SimulationOptions, jobs: Int) -> [SimulationReport] {
        let seeds = Array(range.lower...range.upper)
        let results = Mutex<[SimulationReport?]>(Array(repeating: nil, count: seeds.count))
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            while true {
                let position = next.add(1, ordering: .relaxed).oldValue
                guard position < seeds.count else { return }
                let report = Simulation.run(seed: seeds[position], options: options)
                results.withLock { $0[position] = report }
            }
        }
        return results.withLock { $0.compactMap { $0 } }
    }

    static func summary(_ report: SimulationReport) -> String {
        let hex = String(report.traceHash, radix: 16)
        let hash = String(repeating: "0", count: 16 - hex.count) + hex
        let outcome = report.violation.map { "FAILED \($0.property)" } ?? "ok"
        let stats = report.stats
        var line = "seed \(report.seed): \(outcome), \(report.steps) events, \(report.simulatedNanoseconds / 1_000_000)ms simulated, "
        line += "commit index \(stats.committedIndex), "
        line += "ops \(stats.operationsOK) ok/\(stats.operationsFailed) fail/\(stats.operationsUnknown) unknown, "
        line += "trace hash \(hash)\n  setup: \(report.setup)"
        return line
    }

    /// The command that replays one seed with this invocation's options.
    func replayCommand(seed: UInt64) -> String {
        var command = "swift run -c release raft-sim --seed \(seed)"
        if nodes != 3 { command += " --nodes \(nodes)" }
        if duration != 8 { command += " --duration \(duration)" }
        if let steps { command += " --steps \(steps)" }
        if faults != "all" { command += " --faults \(faults)" }
        if let mode { command += " --mode \(mode)" }
        if let brokenEngine { command += " --broken-engine \(brokenEngine)" }
        return command + " --verbose"
    }

    static func printFailure(_ report: SimulationReport, tail: Int, replay: String) {
        guard let violation = report.violation else { return }
        print("  violated: \(violation.property)")
        print("  detail: \(violation.detail)")
        print("  last \(min(tail, report.recentEvents.count)) events:")
        for event in report.recentEvents.suffix(tail) { print("    \(event)") }
        print("  replay: \(replay)")
    }
}
