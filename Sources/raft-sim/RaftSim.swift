import ArgumentParser
import Foundation
import RaftCore
import RaftTesting

/// `raft-sim`: runs seeded deterministic simulations of a cluster and reports violations.
@main
struct RaftSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft-sim",
        abstract: "Deterministic cluster simulation of the swift-raft engine.",
        discussion: """
            One seed replays one run exactly (--seed prints its trace hash). A range runs many and \
            summarizes (--seeds 1..500), in child processes: a seed that traps is reported as \
            crashed, with its message, and the batch goes on with the next seed. A failing or \
            crashed run prints its seed, what it broke and the command that replays it, and the \
            command exits non-zero.
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

    @Option(help: .hidden)
    var seedsPerWorker: Int?

    @Flag(help: "Print every event of a single seed.")
    var verbose = false

    @Option(help: "Events printed before a violation.")
    var tail: Int = 50

    @Option(help: .hidden)
    var brokenEngine: String?

    /// Runs the --seeds range in this process and prints a machine-readable line per seed
    /// (see `WorkerLine`); the parent of a batch starts workers with it.
    @Flag(help: .hidden)
    var worker = false

    mutating func validate() throws {
        if seed == nil && seeds == nil { throw ValidationError("give --seed S or --seeds A..B") }
        if !(1...7).contains(nodes) { throw ValidationError("--nodes must be in 1...7") }
        if duration <= 0 { throw ValidationError("--duration must be positive") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let seedsPerWorker, seedsPerWorker < 1 { throw ValidationError("--seeds-per-worker must be at least 1") }
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
        guard let seeds else { return }
        if worker {
            runAsWorker(seeds, options: options)
            return
        }
        let clock = ContinuousClock()
        let started = clock.now
        let batch = SeedBatch(executable: Self.executablePath, workerArguments: simulationArguments(), jobs: jobs, seedsPerWorker: seedsPerWorker.map(UInt64.init))
        let outcome = batch.run(seeds)
        let elapsed = clock.now - started
        let reports = outcome.reports
        let failures = reports.filter { !$0.passed }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let ran = reports.count + outcome.crashes.count
        let perMinute = Int((Double(ran) / max(seconds, 0.001) * 60).rounded())
        let tenths = Int((seconds * 10).rounded())
        let failed = failures.count + outcome.crashes.count
        let steps = reports.reduce(0) { $0 + $1.steps }
        print("seeds \(seeds): \(reports.count - failures.count) passed, \(failed) failed in \(tenths / 10).\(tenths % 10)s (\(perMinute) seeds/min, \(steps) events)")
        print(Self.exercised(reports))
        for report in failures {
            print("")
            print(Self.summary(report))
            Self.printFailure(report, tail: tail, replay: replayCommand(seed: report.seed))
        }
        for crash in outcome.crashes {
            print("")
            print("seed \(crash.seed): CRASHED (\(crash.ending)) before reporting")
            for line in crash.errorLines { print("    \(line)") }
            print("  replay: \(replayCommand(seed: crash.seed))")
        }
        let crashed = outcome.crashes.isEmpty ? "" : " (\(outcome.crashes.count) crashed: \(outcome.crashes.map { String($0.seed) }.joined(separator: ", ")))"
        print("\(reports.count - failures.count) passed, \(failed) failed\(crashed)")
        if failed > 0 { throw ExitCode.failure }
    }

    /// The worker side of a batch: runs the seeds in this process, telling the parent which
    /// seed starts before running it and reporting each when done.
    func runAsWorker(_ seeds: SeedRange, options: SimulationOptions) {
        for seed in seeds.lower...seeds.upper {
            emit(.start(seed))
            var report = Simulation.run(seed: seed, options: options)
            if report.passed { report.recentEvents = [] }
            emit(.report(report))
        }
    }

    /// This executable, to start workers from.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The options that shape a simulation, as arguments for a worker or a replay.
    func simulationArguments() -> [String] {
        var arguments: [String] = []
        if nodes != 3 { arguments += ["--nodes", "\(nodes)"] }
        if duration != 8 { arguments += ["--duration", "\(duration)"] }
        if let steps { arguments += ["--steps", "\(steps)"] }
        if faults != "all" { arguments += ["--faults", faults] }
        if let mode { arguments += ["--mode", mode] }
        if let brokenEngine { arguments += ["--broken-engine", brokenEngine] }
        return arguments
    }

    static func exercised(_ reports: [SimulationReport]) -> String {
        var totals = SimulationStats()
        for report in reports {
            totals.crashes += report.stats.crashes
            totals.wipes += report.stats.wipes
            totals.bitFlips += report.stats.bitFlips
            totals.diskErrors += report.stats.diskErrors
            totals.staleMessages += report.stats.staleMessages
            totals.elections += report.stats.elections
            totals.membershipChanges += report.stats.membershipChanges
            totals.snapshotsInstalled += report.stats.snapshotsInstalled
            totals.readmissions += report.stats.readmissions
            totals.leaseReads += report.stats.leaseReads
            totals.readIndexReads += report.stats.readIndexReads
            totals.operationsOK += report.stats.operationsOK
            totals.operationsUnknown += report.stats.operationsUnknown
            totals.linearizabilityTimeouts += report.stats.linearizabilityTimeouts
            totals.recoveryNanoseconds = max(totals.recoveryNanoseconds, report.stats.recoveryNanoseconds)
        }
        var exercised = "exercised: \(totals.elections) elections, \(totals.crashes) crashes, \(totals.wipes) wipes, "
        exercised += "\(totals.bitFlips) bit flips, \(totals.diskErrors) disk errors, \(totals.staleMessages) stale messages, "
        exercised += "\(totals.membershipChanges) membership changes, \(totals.snapshotsInstalled) snapshot installs, "
        exercised += "\(totals.readmissions) re-admissions, "
        exercised += "\(totals.operationsOK) ok / \(totals.operationsUnknown) unknown client operations, "
        exercised += "\(totals.leaseReads) lease / \(totals.readIndexReads) read-index reads served, "
        exercised += "slowest recovery \(totals.recoveryNanoseconds / 1_000_000)ms, "
        exercised += "\(totals.linearizabilityTimeouts) undecided linearizability checks"
        return exercised
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
        (["swift run -c release raft-sim --seed \(seed)"] + simulationArguments() + ["--verbose"]).joined(separator: " ")
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
