import ArgumentParser
import Foundation

/// `raft-bench`: throughput and latency of a Raft cluster under N sequential writers.
@main
struct RaftBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft-bench",
        abstract: "Benchmarks a 3-node cluster: N clients each writing sequentially (a write returns once applied on the leader).",
        discussion: "Build with `-c release`. Prints put/s, ns/op, call latency percentiles and peak RSS per run, then medians.")

    @Option(help: "Cluster shape: \(Shape.allCases.map(\.rawValue).joined(separator: ", ")).")
    var shape: Shape = .inmem

    @Option(help: "Comma-separated client counts.")
    var clients: String = "1,64,256,1024,4096"

    @Option(help: "Total operations per run (default: 100000 for 1 client, 1000000 otherwise).")
    var ops: Int?

    @Option(help: "Run for this many seconds instead of a number of operations.")
    var duration: Double?

    @Option(name: .customLong("repeat"), help: "Runs per client count; results show the median.")
    var repetitions: Int = 1

    @Option(help: "Commands per writeMany call (inmem-batch).")
    var batch: Int = 4

    @Option(help: "Build a snapshot every this many applied entries (the log is purged after each).")
    var snapshotEvery: UInt64 = 50_000

    @Option(help: "Entries kept in the log after a snapshot.")
    var logsKept: UInt64 = 1000

    @Option(help: "Seconds between resident-memory samples (default: 10 for duration runs).")
    var sampleEvery: Double?

    @Option(help: "Threads the nodes run on (node i on thread (i-1) mod n, clients on the first); 0: the global concurrent pool.")
    var threads: Int = 0

    @Option(help: "Directory in which the disk and tcp-disk shapes create (and afterwards removes) its logs.")
    var directory: String = FileManager.default.temporaryDirectory.path

    @Flag(help: "tcp shapes: run each node's loop on the NIO event loop of its server and transport (node i on loop (i-1) mod loops).")
    var nioLoops = false

    @Flag(help: "Print one JSON document instead of tables.")
    var json = false

    /// Proves a run whose cluster dies ends (with an error) instead of hanging.
    @Option(help: .hidden)
    var stopFollowersAfter: Double?

    func validate() throws {
        guard !clientCounts.isEmpty, clientCounts.allSatisfy({ $0 > 0 }) else { throw ValidationError("--clients needs positive counts") }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let ops, ops < 1 { throw ValidationError("--ops must be positive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
    }

    var clientCounts: [Int] { clients.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        var options = ClusterOptions(snapshotEvery: snapshotEvery, logsKeptAfterSnapshot: logsKept, threads: threads, directory: directory)
        options.nioLoops = nioLoops
        let batch = shape.usesBatches ? self.batch : 1
        var results: [RunResult] = []
        if !json {
            print("# raft-bench shape=\(shape.rawValue) batch=\(batch) cores=\(ProcessInfo.processInfo.activeProcessorCount) snapshotEvery=\(snapshotEvery)")
            print(Report.header)
        }
        // Repetitions are interleaved across client counts, like the Go peers' run.sh.
        for _ in 0..<repetitions {
            for count in clientCounts {
                let length: RunLength = duration.map { .duration(seconds: $0) } ?? .ops(ops ?? (count == 1 ? 100_000 : 1_000_000))
                let cluster = try await shape.startCluster(options)
                let result = await runClients(
                    cluster: cluster, shape: shape, clients: count, batch: batch, length: length,
                    sampleEvery: sampleEvery ?? (duration != nil ? 10 : nil), stopFollowersAfter: stopFollowersAfter)
                await cluster.shutdown()
                results.append(result)
                if !json { print(Report.line(result)) }
                if let error = result.firstError {
                    FileHandle.standardError.write(Data("error: \(result.failedCalls) of \(count) clients stopped; the first failure: \(error)\n".utf8))
                }
            }
        }

        let medians = clientCounts.map { count in Report.median(results.filter { $0.clients == count }) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let document = Report.Document(shape: shape.rawValue, batch: batch, cores: ProcessInfo.processInfo.activeProcessorCount, runs: results, medians: medians)
            print(String(decoding: try encoder.encode(document), as: UTF8.self))
        } else {
            print("\n# medians of \(repetitions) run(s)")
            print(Report.header)
            for median in medians { print(Report.line(median.median) + "   runs: " + median.runs.map { Report.count($0) }.joined(separator: ", ")) }
        }
        // After the report: a run whose clients failed (the cluster lost its quorum, a node
        // stopped on a storage error) makes the whole command fail.
        if let failed = results.first(where: { $0.firstError != nil }) {
            throw BenchError("a run with \(failed.clients) clients failed: \(failed.firstError!)")
        }
    }
}

extension Shape: ExpressibleByArgument {}

enum Report {
    struct Median: Codable {
        var median: RunResult
        /// put/s of every run.
        var runs: [Double]
    }

    struct Document: Codable {
        var shape: String
        var batch: Int
        var cores: Int
        var runs: [RunResult]
        var medians: [Median]
    }

    static let header = "shape        clients batch       ops   secs      put/s    ns/op cpu ns/op   p50 us   p99 us  p999 us  peakRSS MiB  load"

    static func line(_ r: RunResult) -> String {
        func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        let fields: [String] = [
            r.shape.padding(toLength: 12, withPad: " ", startingAt: 0), pad("\(r.clients)", 7), pad("\(r.batch)", 5), pad("\(r.ops)", 9),
            pad(String(format: "%.2f", r.seconds), 6), pad(count(r.putsPerSecond), 10), pad(String(format: "%.0f", r.nanosecondsPerOp), 8),
            pad(String(format: "%.0f", r.cpuNanosecondsPerOp), 9),
            pad(String(format: "%.1f", r.p50Micros), 8), pad(String(format: "%.1f", r.p99Micros), 8), pad(String(format: "%.1f", r.p999Micros), 8),
            pad(String(format: "%.1f", Double(r.peakRSSBytes) / 1048576), 12), pad(String(format: "%.1f", r.loadAverage), 5),
        ]
        var text = fields.joined(separator: " ")
        if !r.rssSamples.isEmpty { text += "   rss MiB: " + r.rssSamples.map { String(format: "%.0f", Double($0) / 1048576) }.joined(separator: " ") }
        return text
    }

    static func count(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var grouped = ""
        for (offset, digit) in digits.reversed().enumerated() {
            if offset > 0 && offset % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return String(grouped.reversed())
    }

    /// Every field is the median of that field over the runs (runs of one client count).
    static func median(_ runs: [RunResult]) -> Median {
        func mid(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        var result = runs[0]
        result.ops = Int(mid(runs.map { Double($0.ops) }))
        result.failedCalls = runs.map(\.failedCalls).reduce(0, +)
        result.seconds = mid(runs.map(\.seconds))
        result.putsPerSecond = mid(runs.map(\.putsPerSecond))
        result.nanosecondsPerOp = 1e9 / result.putsPerSecond
        result.cpuSeconds = mid(runs.map(\.cpuSeconds))
        result.cpuNanosecondsPerOp = mid(runs.map(\.cpuNanosecondsPerOp))
        result.loadAverage = mid(runs.map(\.loadAverage))
        result.p50Micros = mid(runs.map(\.p50Micros))
        result.p99Micros = mid(runs.map(\.p99Micros))
        result.p999Micros = mid(runs.map(\.p999Micros))
        result.maxMicros = mid(runs.map(\.maxMicros))
        result.peakRSSBytes = UInt64(mid(runs.map { Double($0.peakRSSBytes) }))
        result.finalRSSBytes = UInt64(mid(runs.map { Double($0.finalRSSBytes) }))
        result.rssSamples = []
        return Median(median: result, runs: runs.map(\.putsPerSecond))
    }
}
