import ArgumentParser
import Foundation
import RaftTesting

/// `raft-lincheck-bench`: times the linearizability checker over a corpus of histories and
/// checks every verdict against the expected one.
@main
struct LincheckBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft-lincheck-bench",
        abstract: "Times the linearizability checker on public and generated histories.",
        discussion: """
            Reads porcupine's test data layout from --corpus (jepsen/etcd_NNN.log, kv/cNN-ok.txt, \
            kv/cNN-bad.txt) and adds generated key-value histories. Prints, for each history, its \
            size, the expected and the found verdict, and the median and fastest of --runs checks. \
            Exits non-zero if any verdict differs from the expected one. Build it in release: \
            swift run -c release raft-lincheck-bench.
            """)

    @Option(help: "Directory laid out as porcupine's test_data.")
    var corpus: String = "Benchmarks/corpus/porcupine"

    @Option(help: "Checks of each history; the median and the fastest are printed.")
    var runs: Int = 5

    @Option(help: "Search steps allowed per partition (0: no limit, the default).")
    var maxSteps: Int = 0

    @Option(help: "Seconds one check may take, so that no run hangs (0: no limit).")
    var timeLimit: Double = 120

    @Option(help: "Partitions searched at once (default: the processors online).")
    var parallelism: Int = LinearizabilityChecker<StringKV>.availableProcessors

    @Flag(inversion: .prefixedNo, help: "Add the generated histories.")
    var generated = true

    @Option(help: "Only histories whose name contains this.")
    var filter: String?

    @Flag(help: "Print each partition's steps and status after its history.")
    var partitions = false

    @Flag(help: "Tab-separated output, one line per history, for scripts.")
    var tsv = false

    mutating func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if maxSteps < 0 { throw ValidationError("--max-steps must not be negative") }
        if timeLimit < 0 { throw ValidationError("--time-limit must not be negative") }
        if parallelism < 1 { throw ValidationError("--parallelism must be at least 1") }
    }

    func run() throws {
        var entries = try Corpus.load(directory: corpus)
        if generated { entries += Corpus.generated() }
        if let filter { entries = entries.filter { $0.name.contains(filter) } }
        if entries.isEmpty { throw ValidationError("no histories found under \(corpus)") }

        if tsv {
            print(["name", "ops", "keys", "expected", "verdict", "median_ms", "min_ms", "steps"].joined(separator: "\t"))
        } else {
            print(pad("history", 30) + pad("ops", 7) + pad("keys", 6) + pad("expected", 10) + pad("verdict", 14)
                + pad("median ms", 11) + pad("min ms", 10) + "steps")
        }
        var mismatches: [String] = []
        var total = Duration.zero
        for entry in entries {
            let measured = measure(entry)
            total += measured.median
            let expected = entry.expectedLinearizable.map { $0 ? "ok" : "bad" } ?? "?"
            if let want = entry.expectedLinearizable, measured.verdict != (want ? "ok" : "bad") {
                mismatches.append("\(entry.name): expected \(expected), got \(measured.verdict)")
            }
            let fields = [
                entry.name, String(entry.operations.count), String(entry.keyCount), expected, measured.verdict,
                milliseconds(measured.median), milliseconds(measured.fastest), measured.steps,
            ]
            if tsv {
                print(fields.joined(separator: "\t"))
            } else {
                print(zip(fields, [30, 7, 6, 10, 14, 11, 10, 0]).map { pad($0, $1) }.joined())
            }
            if partitions {
                for partition in measured.partitions {
                    print("    \(partition.partition): \(partition.operations) operations, \(partition.steps) steps, \(partition.status)")
                }
            }
        }
        if !tsv {
            print("\(entries.count) histories, \(milliseconds(total)) ms in all (medians); \(mismatches.count) verdicts differ")
        }
        if !mismatches.isEmpty {
            for mismatch in mismatches { print("MISMATCH \(mismatch)") }
            throw ExitCode.failure
        }
    }

    private func measure(_ entry: CorpusEntry) -> (
        verdict: String, median: Duration, fastest: Duration, steps: String, partitions: [PartitionOutcome<String>]
    ) {
        let checker = LinearizabilityChecker(
            model: entry.model, maxStepsPerPartition: maxSteps == 0 ? Int.max : maxSteps,
            timeLimit: timeLimit == 0 ? nil : .milliseconds(Int64(timeLimit * 1000)), parallelism: parallelism)
        let clock = ContinuousClock()
        var times: [Duration] = []
        var verdict = ""
        var steps = ""
        var outcomes: [PartitionOutcome<String>] = []
        for _ in 0..<runs {
            let start = clock.now
            let result = checker.check(entry.operations)
            times.append(clock.now - start)
            switch result.verdict {
            case .linearizable: verdict = "ok"
            case .notLinearizable: verdict = "bad"
            case .unknown(_, .stepBudget): verdict = "unknown:steps"
            case .unknown(_, .deadline): verdict = "unknown:time"
            case .unknown(_, .cancelled): verdict = "unknown:cancel"
            }
            steps = String(result.steps)
            outcomes = result.partitions
        }
        times.sort()
        return (verdict, times[times.count / 2], times[0], steps, outcomes)
    }
}

private func milliseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    return String(format: "%.2f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
