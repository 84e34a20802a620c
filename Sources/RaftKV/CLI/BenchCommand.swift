import ArgumentParser
import Foundation
import Histogram
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// `raft-kv bench`: N clients, each on its own HTTP/1.1 keep-alive connection, doing
/// sequential PUTs against a running cluster (start one with `raft-kv local`).
public struct BenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load a running cluster with sequential PUTs from N keep-alive HTTP connections.",
        discussion: """
            Each client writes k<client>-<seq> with a 16-byte value and waits for the answer before its next write; \
            the clock starts after a warm-up write per connection. Prints one RESULT line per client count.
            """)

    @Option(help: "Any member's HTTP endpoint; the leader is found through it.") var endpoint = "http://127.0.0.1:8001"
    @Option(help: "Client counts to run, comma-separated.") var clients = "64,256"
    @Option(help: "Seconds per client count.") var duration = 10.0
    @Option(name: .customLong("value-bytes"), help: "Bytes per value.") var valueBytes = 16
    @Option(help: "leader: every client writes to the leader (as the etcd harness does); all: clients spread over every member (followers forward).")
    var target = "leader"
    @Option(name: .customLong("event-loops"), help: "Event loops the clients' connections run on.") var eventLoops = 1

    public init() {}

    struct Outcome {
        var done: Int
        var failed: Int
        var elapsed: Double
        var histogram: Histogram<UInt64>
    }

    public func run() async throws {
        let counts = try clients.split(separator: ",").map { text -> Int in
            guard let count = Int(text.trimmingCharacters(in: .whitespaces)), count > 0 else { throw ValidationError("--clients takes numbers, not \(text)") }
            return count
        }
        let targets = try await findTargets()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: eventLoops)
        for count in counts {
            let outcome: Outcome
            do {
                outcome = try await runClients(count, targets: targets, group: group)
            } catch {
                try? await group.shutdownGracefully()
                throw error
            }
            let histogram = outcome.histogram
            func milliseconds(_ quantile: Double) -> String { String(format: "%.2f", Double(histogram.valueAtPercentile(quantile * 100)) / 1e6) }
            let line = (String(format: "RESULT system=raft-kv clients=%d ops=%d elapsed_s=%.3f put_per_s=%.0f", count, outcome.done, outcome.elapsed, Double(outcome.done) / outcome.elapsed)
                + " p50_ms=\(milliseconds(0.5)) p99_ms=\(milliseconds(0.99)) p999_ms=\(milliseconds(0.999)) failed=\(outcome.failed)")
            // Unbuffered: each line as it is measured, also into a pipe.
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
            if outcome.failed > 0 {
                try? await group.shutdownGracefully()
                throw ExitCode(1)
            }
        }
        try? await group.shutdownGracefully()
    }

    /// The HTTP addresses clients write to.
    private func findTargets() async throws -> [String] {
        let pool = HTTPClientPool()
        defer { Task { await pool.shutdown() } }
        let start = try CtlClient.authority(of: endpoint)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let reply = try? await pool.send(to: start, method: .GET, path: "/v1/cluster/status", timeout: .seconds(2)),
               reply.status == 200, let status = try? JSONDecoder().decode(StatusBody.self, from: Data(reply.body)),
               let leader = status.leader?.http {
                switch target {
                case "leader": return [leader]
                case "all": return status.membership.members.compactMap(\.http)
                default: throw ValidationError("--target is leader or all, not \(target)")
                }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("no leader found through \(endpoint)")
    }

    private func runClients(_ count: Int, targets: [String], group: MultiThreadedEventLoopGroup) async throws -> Outcome {
        var connections: [HTTPConnection] = []
        for client in 0..<count {
            let (host, port) = HTTPClientPool.split(targets[client % targets.count])!
            let connection = try await HTTPConnection.connect(host: host, port: port, group: group)
            let warmUp = try await connection.send(method: .PUT, path: "/v1/kv/warmup-\(client)", body: [UInt8](repeating: 0x61, count: valueBytes), timeout: .seconds(10))
            guard warmUp.status == 200 else { throw ValidationError("the warm-up write failed: \(warmUp.status) \(String(decoding: warmUp.body, as: UTF8.self))") }
            connections.append(connection)
        }
        let shards = (0..<8).map { _ in HistogramShard() }
        let value = [UInt8](repeating: 0x62, count: valueBytes)
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int64(duration * 1000))
        let (done, failed) = await withTaskGroup(of: (Int, Int).self) { tasks in
            for (client, connection) in connections.enumerated() {
                let shard = shards[client % shards.count]
                tasks.addTask {
                    var done = 0
                    var failed = 0
                    var sequence = 0
                    var latencies: [UInt64] = []
                    latencies.reserveCapacity(4096)
                    while ContinuousClock.now < end {
                        let sent = ContinuousClock.now
                        let path = "/v1/kv/k\(client)-\(sequence)"
                        sequence += 1
                        do {
                            let reply = try await connection.send(method: .PUT, path: path, body: value, timeout: .seconds(30))
                            if reply.status == 200 { done += 1 } else { failed += 1 }
                        } catch {
                            failed += 1
                            break
                        }
                        let elapsed = ContinuousClock.now - sent
                        latencies.append(UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000))
                        if latencies.count == 4096 {
                            shard.record(latencies)
                            latencies.removeAll(keepingCapacity: true)
                        }
                    }
                    shard.record(latencies)
                    return (done, failed)
                }
            }
            var total = (0, 0)
            for await (done, failed) in tasks {
                total.0 += done
                total.1 += failed
            }
            return total
        }
        let elapsed = ContinuousClock.now - start
        for connection in connections { await connection.close() }
        var histogram = HistogramShard.make()
        for shard in shards { shard.add(into: &histogram) }
        return Outcome(done: done, failed: failed, elapsed: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, histogram: histogram)
    }
}

/// Latencies of some clients, in nanoseconds.
final class HistogramShard: Sendable {
    private let histogram = Mutex(HistogramShard.make())

    static func make() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 100_000_000_000, numberOfSignificantValueDigits: .three)
    }

    func record(_ values: [UInt64]) {
        histogram.withLock { histogram in
            for value in values { _ = histogram.record(value) }
        }
    }

    func add(into total: inout Histogram<UInt64>) {
        histogram.withLock { total.add($0) }
    }
}
