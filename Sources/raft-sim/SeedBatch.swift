import Dispatch
import Foundation
import RaftTesting
import Synchronization

/// A seed whose process died (a trap: a failed precondition, a crash) before it reported.
struct CrashedSeed {
    var seed: UInt64
    /// How the process ended, for example "signal 4" or "exit code 1".
    var ending: String
    /// What the process wrote on standard error before its stack trace (the trap's message).
    var errorLines: [String]
}

/// What a batch run in child processes produced.
struct BatchOutcome {
    var reports: [SimulationReport] = []
    var crashes: [CrashedSeed] = []
}

/// Runs a range of seeds in child processes (`raft-sim --worker`), `jobs` at a time, so that a
/// seed that traps takes down only its own process: the seed is recorded as crashed, with what
/// the process said, and a new process goes on from the next seed.
struct SeedBatch {
    var executable: String
    /// The options to pass on to every worker (everything but the seeds).
    var workerArguments: [String]
    var jobs: Int
    /// Seeds given to one worker; by default small enough to share the work out evenly, large
    /// enough that starting processes costs little.
    var seedsPerWorker: UInt64?

    func run(_ range: SeedRange) -> BatchOutcome {
        let count = range.upper - range.lower + 1
        let chunk = seedsPerWorker ?? max(1, min(50, count / UInt64(jobs * 4)))
        var chunks: [ClosedRange<UInt64>] = []
        var start = range.lower
        while start <= range.upper {
            let end = min(range.upper, start + chunk - 1)
            chunks.append(start...end)
            if end == UInt64.max { break }
            start = end + 1
        }
        let pending = Mutex(chunks[...])
        let outcome = Mutex(BatchOutcome())
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            while let seeds = pending.withLock({ $0.popFirst() }) {
                var next: UInt64? = seeds.lowerBound
                while let first = next {
                    let (part, resume) = runWorker(first...seeds.upperBound)
                    outcome.withLock {
                        $0.reports += part.reports
                        $0.crashes += part.crashes
                    }
                    next = resume
                }
            }
        }
        var result = outcome.withLock { $0 }
        result.reports.sort { $0.seed < $1.seed }
        result.crashes.sort { $0.seed < $1.seed }
        return result
    }

    /// Runs one worker over `seeds`; returns what it reported and, if it died in a seed, the
    /// seed to go on from.
    private func runWorker(_ seeds: ClosedRange<UInt64>) -> (BatchOutcome, resume: UInt64?) {
        var outcome = BatchOutcome()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = workerArguments + ["--worker", "--seeds", "\(seeds.lowerBound)..\(seeds.upperBound)"]
        var environment = ProcessInfo.processInfo.environment
        // A trap's symbolicated backtrace takes seconds; replaying the seed gives it.
        if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "enable=no" }
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let errorText = Mutex(Data())
        let errorsDrained = DispatchSemaphore(value: 0)
        do {
            try process.run()
        } catch {
            outcome.crashes.append(CrashedSeed(seed: seeds.lowerBound, ending: "could not start \(executable)", errorLines: ["\(error)"]))
            return (outcome, seeds.lowerBound < seeds.upperBound ? seeds.lowerBound + 1 : nil)
        }
        DispatchQueue.global().async {
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            errorText.withLock { $0 = data }
            errorsDrained.signal()
        }
        var inFlight: UInt64?
        var buffer = Data()
        let reader = output.fileHandleForReading
        while true {
            let data = reader.availableData
            if data.isEmpty { break }
            buffer.append(data)
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                switch WorkerLine(parsing: line[...]) {
                case .start(let seed)?: inFlight = seed
                case .report(let report)?:
                    outcome.reports.append(report)
                    inFlight = nil
                case nil: break
                }
            }
        }
        process.waitUntilExit()
        errorsDrained.wait()
        guard let crashed = inFlight ?? (process.terminationStatus != 0 && outcome.reports.isEmpty ? seeds.lowerBound : nil) else {
            return (outcome, nil)
        }
        let ending = process.terminationReason == .uncaughtSignal ? "signal \(process.terminationStatus)" : "exit code \(process.terminationStatus)"
        let allLines = String(decoding: errorText.withLock { $0 }, as: UTF8.self).split(separator: "\n")
        // The trap's message comes before the raw stack trace (replaying the seed symbolicates it).
        let message = allLines.firstIndex { $0.hasPrefix("Current stack trace") }.map { allLines[..<$0] } ?? allLines[...]
        let lines = message.suffix(8).map(String.init)
        outcome.crashes.append(CrashedSeed(seed: crashed, ending: ending, errorLines: lines))
        FileHandle.standardError.write(Data("raft-sim: seed \(crashed) crashed (\(ending)); going on with the next seed\n".utf8))
        return (outcome, crashed < seeds.upperBound ? crashed + 1 : nil)
    }
}
