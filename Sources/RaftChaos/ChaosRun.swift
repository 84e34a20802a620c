import Foundation
import RaftTesting

/// One chaos run: a cluster of `raft-kv serve` processes behind fault proxies, clients
/// recording a history while faults strike on a seeded schedule, then healing and checks.
public struct ChaosRun: Sendable {
    public var options: ChaosOptions

    public init(options: ChaosOptions) {
        self.options = options
    }

    /// Runs it: returns the report whatever was found; throws only when the run itself
    /// could not be carried out (the cluster never formed).
    public func run() async throws -> ChaosReport {
        let options = self.options
        var report = ChaosReport(seed: options.seed, replayCommand: options.replayCommand)
        try FileManager.default.createDirectory(at: options.directory, withIntermediateDirectories: true)
        let wantsDisk = options.faults.contains(.disk)
        let wantsClock = options.faults.contains(.clockJumps)
        if wantsDisk && !ChaosTools.haveFiu { throw ChaosError.setup("disk faults need libfiu (apt-get install fiu-utils), or leave them out with --faults all,-disk") }
        if wantsClock && !ChaosTools.haveFaketime { throw ChaosError.setup("clock jumps need libfaketime (apt-get install faketime), or leave them out with --faults all,-clock-jumps") }

        let layout = try ClusterLayout(nodeCount: options.nodes, directory: options.directory)
        let cluster = ChaosCluster(layout: layout, options: .init(
            server: options.server, clusterID: "chaos-\(options.seed)",
            electionTimeoutMilliseconds: options.electionTimeoutMilliseconds,
            diskFaults: wantsDisk, clockJumps: wantsClock, extraArguments: options.brokenServer?.serveArguments ?? []))
        let http = HTTPStoreClient(layout: layout, requestTimeout: options.requestTimeout)
        let origin = ContinuousClock.now
        let injector = FaultInjector(cluster: cluster, http: http, origin: origin)
        let schedule = FaultSchedule(
            seed: options.seed, kinds: options.faults, nodeCount: options.nodes, duration: options.duration,
            electionTimeout: .milliseconds(options.electionTimeoutMilliseconds.upperBound))

        do {
            try await form(cluster, injector: injector, http: http)
        } catch {
            await cluster.stopAll(grace: .seconds(5))
            await http.shutdown()
            throw error
        }

        let recorder = HistoryRecorder(origin: origin)
        let stop = StopFlag()
        let workload = Workload(clients: options.clients, keys: (0..<options.keys).map { "k\($0)" },
                                nodeCount: options.nodes, seed: options.seed, leaseReads: !wantsClock)
        let clients = Task { await workload.run(store: http, recorder: recorder, stop: stop) }

        // The faults, on schedule.
        let start = ContinuousClock.now
        for episode in schedule.episodes {
            let due = start + episode.start
            if due > .now { try? await Task.sleep(until: due, clock: .continuous) }
            injector.log("episode: \(episode)")
            await injector.run(episode)
        }
        let faultsEnd = start + options.duration
        if faultsEnd > .now { try? await Task.sleep(until: faultsEnd, clock: .continuous) }

        // Heal, then the clients keep going: the first acknowledged write after this moment
        // is the liveness measure.
        await injector.healAll()
        let healedAt = ContinuousClock.now
        let healedMark = recorder.history.operations.count
        await injector.readmitWipedNodes(deadline: .seconds(30))
        try? await Task.sleep(for: options.livenessLimit)
        stop.set()
        await clients.value

        report.livenessSeconds = firstWrite(after: healedMark, in: recorder, healedAt: healedAt, origin: origin)
        if let seconds = report.livenessSeconds, seconds > Double(options.livenessLimit.components.seconds) {
            report.violations.append(String(format: "liveness: the first write after healing was acknowledged %.1f s later (limit %d s)", seconds, options.livenessLimit.components.seconds))
        } else if report.livenessSeconds == nil {
            report.violations.append("liveness: no write was acknowledged within \(options.livenessLimit.components.seconds) s of healing")
        }

        // Convergence and the final state, read through the leader and added to the history.
        await convergenceChecks(cluster: cluster, http: http, injector: injector, recorder: recorder, report: &report)

        // The checks of the whole history.
        let history = recorder.history
        countOperations(history, into: &report)
        let checker = LinearizabilityChecker(model: ChaosModel(), timeLimit: options.checkTimeLimit)
        let result = await checker.check(history)
        report.checkSeconds = Double(result.elapsed.components.seconds) + Double(result.elapsed.components.attoseconds) * 1e-18
        switch result.verdict {
        case .linearizable:
            report.linearizability = "linearizable"
        case .notLinearizable(let violation):
            report.linearizability = "NOT linearizable (key \(violation.partition))"
            report.violations.append("linearizability: \(violation)")
        case .unknown(let keys, let reason):
            report.linearizability = "undecided: \(reason) on \(keys)"
            report.violations.append("linearizability: undecided (\(reason)) on keys \(keys)")
        }

        for death in cluster.unexpectedDeaths {
            report.violations.append("n\(death.node) died without the harness's hand: \(death.exit) (see its log)")
        }
        report.violations += injector.events.filter { $0.hasPrefix("VIOLATION: ") }.map { String($0.dropFirst(11)) }
        report.faults = injector.injected
        report.skippedFaults = injector.skipped
        report.snapshotsForced = injector.snapshotsForced
        report.snapshotsInstalled = injector.snapshotsInstalled

        await cluster.stopAll(grace: .seconds(10))
        await http.shutdown()

        // Keep what a person needs to see what happened; drop the data when all is well.
        try? recorder.jsonLines.write(to: options.directory.appendingPathComponent("history.jsonl"), atomically: true, encoding: .utf8)
        try? (schedule.episodes.map(\.description) + ["", "events:"] + injector.events).joined(separator: "\n")
            .write(to: options.directory.appendingPathComponent("schedule.txt"), atomically: true, encoding: .utf8)
        if report.passed && !options.keepArtifacts {
            try? FileManager.default.removeItem(at: options.directory)
        } else {
            report.artifacts = options.directory
        }
        try? report.table.write(to: options.directory.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)
        return report
    }

    /// Starts every node (the first forms the cluster) and waits until they agree on a
    /// leader and the whole membership.
    private func form(_ cluster: ChaosCluster, injector: FaultInjector, http: HTTPStoreClient) async throws {
        for id in cluster.layout.ids { try cluster.start(id, initialize: id == 1) }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let statuses = await injector.statuses()
            let leaders = Set(statuses.values.compactMap { $0.leader?.id })
            if statuses.count == cluster.layout.nodes.count, leaders.count == 1,
               statuses.values.allSatisfy({ $0.membership.voters.count == cluster.layout.nodes.count }) {
                injector.log("cluster formed: leader n\(leaders.first!)")
                return
            }
            if let dead = cluster.layout.ids.first(where: { !cluster.isRunning($0) }) {
                throw ChaosError.clusterNotReady("n\(dead) exited at start (\(cluster.process(dead)?.exit.map { "\($0)" } ?? "?")); see \(cluster.layout.node(dead).logFile.path)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ChaosError.clusterNotReady("no leader with all \(cluster.layout.nodes.count) voters within 60 s")
    }

    /// Waits until every node has applied the same state, compares their contents, and
    /// reads each key linearizably through the leader into the history, so that a lost
    /// acknowledged write shows as a violation.
    private func convergenceChecks(cluster: ChaosCluster, http: HTTPStoreClient, injector: FaultInjector,
                                   recorder: HistoryRecorder, report: inout ChaosReport) async {
        let deadline = ContinuousClock.now + .seconds(60)
        var dumps: [Int: [String: String]] = [:]
        var converged = false
        while ContinuousClock.now < deadline {
            let statuses = await injector.statuses()
            let applied = Set(statuses.values.map(\.applied))
            if statuses.count == cluster.layout.nodes.count, applied.count == 1,
               let committed = statuses.values.map(\.committed).max(), applied.first! >= committed {
                dumps = [:]
                for id in cluster.layout.ids { if let dump = await http.dump(id) { dumps[id] = dump } }
                if dumps.count == cluster.layout.nodes.count, Set(dumps.values).count == 1 {
                    converged = true
                    break
                }
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
        if !converged {
            let statuses = await injector.statuses()
            let summary = cluster.layout.ids.map { id in
                statuses[id].map { "n\(id) applied \($0.applied) committed \($0.committed) term \($0.term) \($0.role)" } ?? "n\(id) silent"
            }.joined(separator: "; ")
            report.violations.append("convergence: the nodes did not reach the same state within 60 s: \(summary)")
        }
        for key in (0..<options.keys).map({ "k\($0)" }) {
            var done = false
            for attempt in 0..<20 where !done {
                let node = await injector.leader() ?? (1 + attempt % cluster.layout.nodes.count)
                let id = recorder.invoke(client: 0, input: .read(key), node: node)
                switch await http.get(key, from: node, consistency: .linearizable) {
                case .ok(let value):
                    recorder.complete(id, outcome: .ok(.read(value)), note: "final read")
                    done = true
                    for (other, dump) in dumps where dump[key] != value {
                        report.violations.append("final state: n\(other) holds \(key)=\(dump[key] ?? "absent"), the leader read \(value ?? "absent")")
                    }
                case .fail(let why): recorder.complete(id, outcome: .fail, note: why)
                case .unknown(let why): recorder.complete(id, outcome: .unknown, note: why)
                }
                if !done { try? await Task.sleep(for: .milliseconds(300)) }
            }
            if !done { report.violations.append("final read of \(key) never succeeded") }
        }
    }

    private func firstWrite(after mark: Int, in recorder: HistoryRecorder, healedAt: ContinuousClock.Instant, origin: ContinuousClock.Instant) -> Double? {
        // Completion times are event counters; find the first acknowledged write that was
        // invoked after healing and use the recorder's wall log for its time.
        let operations = recorder.history.operations.dropFirst(mark)
        let completions = recorder.completionTimes
        var best: Duration?
        for operation in operations {
            guard case .ok = operation.outcome, operation.input.isWrite, let at = completions[operation.id] else { continue }
            let since = at - (healedAt - origin)
            if best == nil || since < best! { best = since }
        }
        return best.map { Double($0.components.seconds) + Double($0.components.attoseconds) * 1e-18 }
    }

    private func countOperations(_ history: History<ChaosModel.Input, ChaosModel.Output>, into report: inout ChaosReport) {
        for operation in history.operations {
            let kind: String
            switch operation.input {
            case .read: kind = operation.clientID == 0 ? "final read" : "get"
            case .write: kind = "put"
            case .compareAndSet: kind = "cas"
            case .delete: kind = "delete"
            case .append: kind = "append"
            }
            var counts = report.operations[kind] ?? .init()
            switch operation.outcome {
            case .ok: counts.ok += 1
            case .fail: counts.fail += 1
            case .unknown: counts.unknown += 1
            }
            report.operations[kind] = counts
        }
    }
}

extension KVModel.Input {
    var isWrite: Bool {
        switch self {
        case .read: return false
        case .write, .compareAndSet, .delete, .append: return true
        }
    }
}
