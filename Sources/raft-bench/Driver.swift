import Foundation
import Histogram
import Synchronization

/// Monotonic nanoseconds, read straight from the vDSO: cheaper per write than
/// `ContinuousClock.now` arithmetic, which matters at millions of writes per second.
@inline(__always)
func nowNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Latencies of every client call, in nanoseconds. Clients share a few mutex-guarded
/// histograms rather than owning one each: a 3-digit histogram up to 100 s is about 220 KB,
/// so one per client would dominate the memory measured at 4096 clients.
final class LatencyRecorder: Sendable {
    final class Shard: Sendable {
        let histogram = Mutex(LatencyRecorder.makeHistogram())
    }

    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 100_000_000_000, numberOfSignificantValueDigits: .three)
    }

    let shards: [Shard]

    init(shardCount: Int) {
        shards = (0..<shardCount).map { _ in Shard() }
    }

    func merged() -> Histogram<UInt64> {
        var total = Self.makeHistogram()
        for shard in shards { shard.histogram.withLock { total.add($0) } }
        return total
    }
}

/// The process's resident memory, from `/proc/self/status`.
enum ProcessMemory {
    /// Peak resident set size (VmHWM) in bytes.
    static var peakBytes: UInt64 { field("VmHWM:") }
    /// Current resident set size (VmRSS) in bytes.
    static var currentBytes: UInt64 { field("VmRSS:") }

    /// Resets the peak to the current size (Linux `clear_refs` value 5), so each run reports
    /// its own peak.
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    private static func field(_ name: String) -> UInt64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            let kilobytes = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { UInt64($0) } ?? 0
            return kilobytes * 1024
        }
        return 0
    }
}

/// CPU time this process used (user + system), in seconds. The machine is shared, so CPU
/// per operation is the measure that other processes disturb least.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The 1-minute load average, to tell runs on a busy machine from runs on an idle one.
func loadAverage() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return 0 }
    return text.split(separator: " ").first.flatMap { Double($0) } ?? 0
}

/// The outcome of one timed run.
struct RunResult: Codable, Sendable {
    var shape: String
    var clients: Int
    var batch: Int
    var ops: Int
    var failedCalls: Int
    /// The first failed call's error: a client stops at its first failure.
    var firstError: String?
    var seconds: Double
    var putsPerSecond: Double
    var nanosecondsPerOp: Double
    /// CPU time of the whole process during the run (every node and every client).
    var cpuSeconds: Double
    /// CPU nanoseconds per operation.
    var cpuNanosecondsPerOp: Double
    /// The 1-minute load average when the run started.
    var loadAverage: Double
    /// Latency of one client call (a write, or a `writeMany` batch), in microseconds.
    var p50Micros: Double
    var p99Micros: Double
    var p999Micros: Double
    var maxMicros: Double
    var peakRSSBytes: UInt64
    var finalRSSBytes: UInt64
    /// Resident memory sampled during the run (duration runs), in bytes, one per sample period.
    var rssSamples: [UInt64]
}

/// How long one run goes.
enum RunLength: Sendable {
    case ops(Int)
    case duration(seconds: Double)
}

/// Runs `clients` client tasks against `cluster`, each writing sequentially, and measures.
func runClients(
    cluster: some BenchCluster, shape: Shape, clients: Int, batch: Int, length: RunLength, sampleEvery: Double?,
    stopFollowersAfter: Double? = nil
) async -> RunResult {
    let recorder = LatencyRecorder(shardCount: min(clients, 16))
    ProcessMemory.resetPeak()
    let opsPerClient: Int?
    let deadline: UInt64?
    switch length {
    case .ops(let total):
        opsPerClient = max(batch, (total / clients) / batch * batch)
        deadline = nil
    case .duration(let seconds):
        opsPerClient = nil
        deadline = nowNanos() + UInt64(seconds * 1e9)
    }
    let sampler: Task<[UInt64], Never>? = sampleEvery.map { period in
        Task {
            var samples: [UInt64] = []
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(period * 1000)))
                if Task.isCancelled { break }
                samples.append(ProcessMemory.currentBytes)
            }
            return samples
        }
    }
    let stopper: Task<Void, Never>? = stopFollowersAfter.map { seconds in
        Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            if !Task.isCancelled { await cluster.stopFollowers() }
        }
    }
    let firstError = Mutex<String?>(nil)
    let load = loadAverage()
    let cpuStart = processCPUSeconds()
    let start = nowNanos()
    let (ops, failures) = await withTaskGroup(of: (Int, Int).self) { group in
        for client in 0..<clients {
            // Only clients that should share a node's thread are created through the
            // executor-preference API; the others are plain child tasks, as before it existed.
            let writer: @Sendable () async -> (Int, Int) = {
                let shard = recorder.shards[client % recorder.shards.count]
                var command = UInt64(client) << 32
                var commands = [UInt64](repeating: 0, count: batch)
                var done = 0
                var before = nowNanos()
                while true {
                    if let opsPerClient, done >= opsPerClient { break }
                    do {
                        if batch == 1 && !shape.usesBatches {
                            try await cluster.write(command)
                            command &+= 1
                        } else {
                            for slot in 0..<batch {
                                commands[slot] = command
                                command &+= 1
                            }
                            try await cluster.writeMany(commands)
                        }
                    } catch {
                        firstError.withLock { $0 = $0 ?? "\(error)" }
                        return (done, 1)
                    }
                    let after = nowNanos()
                    shard.histogram.withLock { _ = $0.record(after - before) }
                    done += batch
                    if let deadline, after >= deadline { break }
                    before = after
                }
                return (done, 0)
            }
            if let executor = cluster.clientExecutor {
                group.addTask(executorPreference: executor, operation: writer)
            } else {
                group.addTask(operation: writer)
            }
        }
        var ops = 0
        var failures = 0
        for await (done, failed) in group {
            ops += done
            failures += failed
        }
        return (ops, failures)
    }
    let elapsed = Double(nowNanos() - start) / 1e9
    let cpu = processCPUSeconds() - cpuStart
    stopper?.cancel()
    sampler?.cancel()
    let samples = await sampler?.value ?? []
    let latencies = recorder.merged()
    func micros(_ percentile: Double) -> Double { Double(latencies.valueAtPercentile(percentile)) / 1000 }
    return RunResult(
        shape: shape.rawValue, clients: clients, batch: batch, ops: ops, failedCalls: failures, firstError: firstError.withLock { $0 }, seconds: elapsed,
        putsPerSecond: Double(ops) / elapsed, nanosecondsPerOp: elapsed * 1e9 / Double(max(ops, 1)),
        cpuSeconds: cpu, cpuNanosecondsPerOp: cpu * 1e9 / Double(max(ops, 1)), loadAverage: load,
        p50Micros: micros(50), p99Micros: micros(99), p999Micros: micros(99.9), maxMicros: Double(latencies.max) / 1000,
        peakRSSBytes: ProcessMemory.peakBytes, finalRSSBytes: ProcessMemory.currentBytes, rssSamples: samples)
}
