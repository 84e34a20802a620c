import Benchmark
import RaftCore

// Hot paths of the engine, with allocation counts. Each benchmark measures one step of a
// write's life on one node; everything around it (bringing the engines to that state,
// executing what the step produced) runs outside the measurement.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        maxDuration: .seconds(2),
        maxIterations: 100_000)

    for count in [1, 64] {
        Benchmark("leader: propose \(count) → commands") { benchmark in
            var cluster = EngineCluster.elected()
            let commands = [UInt64](repeating: 7, count: count)
            benchmark.startMeasurement()
            _ = try! cluster[1].propose(commands)
            let output = cluster[1].takeCommands()
            benchmark.stopMeasurement()
            cluster.execute(output, of: 1)
            cluster.settle()
        }
    }

    Benchmark("follower: append of 64 entries → durable ack") { benchmark in
        var cluster = EngineCluster.elected()
        _ = try! cluster[1].propose([UInt64](repeating: 7, count: 64))
        cluster.execute(cluster[1].takeCommands(), of: 1)
        let position = cluster.inFlight.firstIndex { $0.to == 2 }!
        let request = cluster.inFlight.remove(at: position)
        benchmark.startMeasurement()
        cluster[2].receive(request.message, from: 1)
        let append = cluster[2].takeCommands()
        for case .appendEntries(_, let io) in append { cluster[2].logIOFlushed(upTo: io) }
        let ack = cluster[2].takeCommands()
        benchmark.stopMeasurement()
        blackHole(append)
        cluster.execute(ack, of: 2)
        cluster.settle()
    }

    Benchmark("leader: 2 acks of 64 entries → commit → apply") { benchmark in
        var cluster = EngineCluster.elected()
        _ = try! cluster[1].propose([UInt64](repeating: 7, count: 64))
        cluster.execute(cluster[1].takeCommands(), of: 1)
        // Followers append and answer; the answers wait in flight.
        let requests = cluster.inFlight
        cluster.inFlight = []
        for (from, to, message) in requests { cluster[to].receive(message, from: from) }
        for id: NodeID in [2, 3] { cluster.execute(cluster[id].takeCommands(), of: id) }
        for id: NodeID in [2, 3] { cluster.execute(cluster[id].takeCommands(), of: id) }
        let acks = cluster.inFlight.filter { $0.to == 1 }
        cluster.inFlight.removeAll { $0.to == 1 }
        benchmark.startMeasurement()
        for (from, _, message) in acks { cluster[1].receive(message, from: from) }
        let output = cluster[1].takeCommands()
        for case .apply(let entries) in output { cluster[1].applied(upTo: entries.last!.logID) }
        benchmark.stopMeasurement()
        cluster.execute(output.filter { if case .apply = $0 { return false } else { return true } }, of: 1)
        cluster.settle()
    }

    Benchmark("cluster: one write, every engine step of 3 nodes") { benchmark in
        var cluster = EngineCluster.elected()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            _ = try! cluster[1].propose([7])
            cluster.settle()
        }
        benchmark.stopMeasurement()
    }
}
