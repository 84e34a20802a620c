import Foundation
import Synchronization

/// Carries out the faults of episodes on a live cluster and undoes them, keeping a log of
/// what it did and counts by kind for the report.
final class FaultInjector: Sendable {
    let cluster: ChaosCluster
    let http: HTTPStoreClient
    private let state = Mutex(State())
    private let origin: ContinuousClock.Instant

    private struct State {
        var events: [String] = []
        var injected: [FaultKind: Int] = [:]
        /// Faults that were planned but could not be carried out, and why.
        var skipped: [FaultKind: Int] = [:]
        /// Nodes started as storage-lost whose voting is not resumed yet, with the highest
        /// term the cluster had when they lost their data.
        var suspended: [Int: UInt64] = [:]
        var snapshotsForced = 0
        /// Forced installs the node was then seen to have made.
        var snapshotsInstalled = 0
        /// The node's last log index when its disk fault was switched on.
        var logAtDiskFault: [Int: UInt64?] = [:]
    }

    init(cluster: ChaosCluster, http: HTTPStoreClient, origin: ContinuousClock.Instant) {
        self.cluster = cluster
        self.http = http
        self.origin = origin
    }

    var events: [String] { state.withLock { $0.events } }
    var injected: [FaultKind: Int] { state.withLock { $0.injected } }
    var skipped: [FaultKind: Int] { state.withLock { $0.skipped } }
    var snapshotsForced: Int { state.withLock { $0.snapshotsForced } }
    var snapshotsInstalled: Int { state.withLock { $0.snapshotsInstalled } }

    func log(_ text: String) {
        let line = "[\((ContinuousClock.now - origin).chaosSeconds)] \(text)"
        state.withLock { $0.events.append(line) }
        if ProcessInfo.processInfo.environment["RAFT_CHAOS_QUIET"] == nil { print(line) }
    }

    private func count(_ kind: FaultKind) { state.withLock { $0.injected[kind, default: 0] += 1 } }
    private func skip(_ kind: FaultKind, _ why: String) {
        state.withLock { $0.skipped[kind, default: 0] += 1 }
        log("skipped \(kind): \(why)")
    }

    // MARK: Cluster views

    /// The statuses of the nodes that answer.
    func statuses() async -> [Int: NodeStatus] {
        await withTaskGroup(of: (Int, NodeStatus?).self) { group in
            for id in cluster.layout.ids { group.addTask { (id, await self.http.status(id, timeout: .seconds(1))) } }
            var result: [Int: NodeStatus] = [:]
            for await (id, status) in group { if let status { result[id] = status } }
            return result
        }
    }

    /// The node that says it leads in the highest term, if any.
    func leader() async -> Int? {
        let statuses = await statuses()
        return statuses.values.filter { $0.role == "leader" }.max { $0.term < $1.term }.map { Int($0.id) }
    }

    // MARK: Episodes

    /// What must be undone at an episode's end.
    enum Undo {
        case healNetwork
        case restart(Int)
        case resume(Int)
        case nothing
    }

    /// Runs one episode: begins its faults, holds them for its length, then undoes them.
    func run(_ episode: FaultEpisode) async {
        var targets = Set<Int>()
        var undo: [Undo] = []
        let leader = episode.faults.contains { $0.target == .leader } ? await leader() : nil
        // A wiped node not yet re-admitted is a voter out of service: it takes its share of
        // the budget, so a majority always keeps working and keeps its data (the fault model).
        let maxImpaired = (cluster.layout.nodes.count - 1) / 2
        var impaired = state.withLock { $0.suspended.count }
        for fault in episode.faults {
            if fault.kind.impairsNode {
                guard impaired < maxImpaired else {
                    skip(fault.kind, "\(impaired) node(s) already out of service (wiped, not yet re-admitted)")
                    continue
                }
                impaired += 1
            }
            var id: Int
            switch fault.target {
            case .node(let node): id = node
            case .leader: id = leader ?? cluster.layout.ids.randomElement()!
            }
            if targets.contains(id) || fault.others.contains(id) {
                guard let free = cluster.layout.ids.first(where: { !targets.contains($0) && !fault.others.contains($0) }) else { continue }
                id = free
            }
            targets.insert(id)
            undo += await begin(fault, on: id, holding: episode.length)
        }
        if !undo.isEmpty { try? await Task.sleep(for: episode.length) }
        for step in undo { await end(step) }
    }

    private func begin(_ fault: PlannedFault, on id: Int, holding length: Duration) async -> [Undo] {
        let layout = cluster.layout
        switch fault.kind {
        case .isolate:
            layout.isolate(id); count(.isolate); log("isolate n\(id)")
            return [.healNetwork]
        case .split:
            let minority = Set([id] + fault.others)
            for a in minority { for b in layout.ids where !minority.contains(b) { layout.cut(from: a, to: b); layout.cut(from: b, to: a) } }
            count(.split); log("split \(minority.sorted().map { "n\($0)" }) from the rest")
            return [.healNetwork]
        case .asymmetric:
            let deaf = fault.others.filter { $0 != id }
            for other in deaf { layout.cut(from: id, to: other) }
            count(.asymmetric); log("asymmetric: \(deaf.map { "n\($0)" }) stop hearing n\(id) (n\(id) still hears them)")
            return [.healNetwork]
        case .delay:
            layout.delay(id, by: .milliseconds(fault.parameter)); count(.delay); log("delay n\(id) by \(fault.parameter)ms")
            return [.healNetwork]
        case .snapshotInstall:
            await forceSnapshotInstall(on: id, within: max(length, .seconds(20)))
            return []
        case .kill:
            guard cluster.isRunning(id) else { skip(.kill, "n\(id) is not running"); return [] }
            await cluster.kill(id); count(.kill); log("kill -9 n\(id)")
            return [.restart(id)]
        case .pause:
            guard cluster.isRunning(id) else { skip(.pause, "n\(id) is not running"); return [] }
            cluster.pause(id); count(.pause); log("SIGSTOP n\(id)")
            return [.resume(id)]
        case .transfer:
            await transfer(to: id)
            return []
        case .membership:
            await churnMembership(of: id)
            return []
        case .wipe:
            await wipe(id)
            return []
        case .disk:
            guard cluster.options.diskFaults, cluster.isRunning(id) else { skip(.disk, "n\(id) is not running under libfiu"); return [] }
            let before = await http.status(id)?.lastLog?.index
            do {
                try cluster.injectDiskFault(id, errno: Int32(fault.parameter), onWrite: fault.onWrite)
                state.withLock { $0.logAtDiskFault[id] = before }
                count(.disk); log("disk fault on n\(id): \(fault.parameter == 28 ? "ENOSPC" : "EIO") on \(fault.onWrite ? "pwrite" : "fsync")")
            } catch {
                skip(.disk, "\(error)")
            }
            return [.restart(id)]
        case .clockJumps:
            guard cluster.options.clockJumps else { skip(.clockJumps, "nodes are not running under libfaketime"); return [] }
            do {
                try cluster.jumpClock(id, bySeconds: fault.parameter)
                count(.clockJumps); log("clock of n\(id) jumps \(fault.parameter)s forward")
            } catch {
                skip(.clockJumps, "\(error)")
            }
            return []
        }
    }

    private func end(_ undo: Undo) async {
        switch undo {
        case .healNetwork:
            cluster.layout.healNetwork(); log("network healed")
        case .resume(let id):
            cluster.resume(id); log("SIGCONT n\(id)")
        case .restart(let id):
            await restart(id)
        case .nothing:
            break
        }
    }

    /// Starts node `id` again from its data directory (after a kill or a disk fault).
    func restart(_ id: Int) async {
        if let process = cluster.process(id) {
            if process.expectedEnd == .diskFault {
                // The node must have stopped by itself on the storage error; one that is still
                // up is reported (it may be stuck), then killed so the run can go on.
                if let exit = await process.waitForExit(timeout: .seconds(10)) {
                    log("n\(id) stopped on its disk fault: \(exit)")
                    checkStoppedOnStorageError(id, exit: exit)
                } else {
                    // A node that wrote nothing (no leader, say) never met its fault; one whose
                    // log moved on wrote through it.
                    let before = state.withLock { $0.logAtDiskFault[id] ?? nil }
                    let now = await http.status(id)?.lastLog?.index
                    if let now, now != before {
                        log("n\(id) did not stop within 10 s of its disk fault, and its log moved from \(before.map(String.init) ?? "nothing") to \(now)")
                        state.withLock { $0.events.append("VIOLATION: n\(id) kept writing after a disk fault") }
                    } else {
                        log("n\(id) wrote nothing while its disk fault was on: it never struck")
                        state.withLock { $0.skipped[.disk, default: 0] += 1 }
                    }
                    await cluster.kill(id)
                }
            } else if process.exit == nil {
                return
            }
        }
        let storageLost = state.withLock { $0.suspended[id] != nil }
        do {
            try cluster.start(id, storageLost: storageLost)
            log("restart n\(id)")
        } catch {
            log("could not restart n\(id): \(error)")
        }
    }

    /// A node that stopped on an injected disk fault must say so: a non-zero exit and the
    /// storage error in its log (which file, which operation), not a crash or a silent exit.
    private func checkStoppedOnStorageError(_ id: Int, exit: NodeProcess.Exit) {
        let text = (try? String(contentsOf: cluster.layout.node(id).logFile, encoding: .utf8)) ?? ""
        let lastStart = text.range(of: "==== start", options: .backwards).map { String(text[$0.lowerBound...]) } ?? text
        if exit == .exited(0) || !lastStart.contains("its storage failed") {
            state.withLock { $0.events.append("VIOLATION: n\(id) ended with \(exit) after its disk fault, without reporting a storage failure in its log") }
        }
    }

    /// Heals everything at the end of a run: network, paused and stopped nodes, suspended
    /// voting.
    func healAll() async {
        cluster.layout.healNetwork()
        for id in cluster.layout.ids {
            cluster.resume(id)
            if !cluster.isRunning(id) { await restart(id) }
        }
        log("all faults healed")
    }

    // MARK: Procedures

    private func transfer(to id: Int) async {
        guard let leader = await leader() else { skip(.transfer, "no leader"); return }
        let target = id == leader ? cluster.layout.ids.filter { $0 != leader }.randomElement()! : id
        if let error = await http.admin(.POST, node: leader, path: "/v1/cluster/transfer-leader", json: #"{"to":\#(target)}"#) {
            skip(.transfer, "n\(leader) → n\(target): \(error)")
        } else {
            count(.transfer); log("leadership transferred n\(leader) → n\(target)")
        }
    }

    /// Removes voter `id`, adds it back as a learner and promotes it.
    private func churnMembership(of id: Int) async {
        guard let leader = await leader(), let status = await http.status(leader) else { skip(.membership, "no leader"); return }
        guard status.membership.voters.count == cluster.layout.nodes.count, !status.membership.joint else {
            skip(.membership, "the membership is not whole: voters \(status.membership.voters)"); return
        }
        let node = cluster.layout.node(id)
        let steps: [(String, String)] = [
            ("/v1/cluster/members", #"{"remove":[\#(id)]}"#),
            ("/v1/cluster/learners", #"{"id":\#(id),"raft":"127.0.0.1:\#(node.raftPort)","http":"127.0.0.1:\#(node.httpPort)","waitUntilCaughtUp":true}"#),
            ("/v1/cluster/members", #"{"promote":[\#(id)]}"#),
        ]
        log("membership churn of n\(id): remove, add as learner, promote")
        for (path, body) in steps {
            var done = false
            for _ in 0..<20 {
                // Whichever node answers forwards to the leader.
                let via = cluster.layout.ids.filter { $0 != id && cluster.isRunning($0) }.randomElement() ?? leader
                if let error = await http.admin(.POST, node: via, path: path, json: body, timeout: .seconds(15)) {
                    log("  \(path) \(body): \(error)")
                    try? await Task.sleep(for: .milliseconds(500))
                } else {
                    done = true
                    break
                }
            }
            if !done { skip(.membership, "n\(id): \(path) \(body) never succeeded"); return }
        }
        count(.membership); log("membership churn of n\(id) done")
    }

    /// Wipes node `id`'s data and re-admits it the documented way: started as storage-lost,
    /// caught up, and voting resumed once the cluster's term passed every term it could have
    /// voted in.
    private func wipe(_ id: Int) async {
        let statuses = await statuses()
        let highestTerm = statuses.values.map(\.term).max() ?? 0
        do {
            try await cluster.wipe(id)
            state.withLock { $0.suspended[id] = highestTerm }
            try cluster.start(id, storageLost: true)
            count(.wipe); log("wiped n\(id) (cluster term \(highestTerm)); restarted storage-lost")
        } catch {
            skip(.wipe, "\(error)")
            return
        }
        // The rest of the procedure at once: a suspended voter is a voter out of service, and
        // two of them would leave a cluster of five one fault away from losing its quorum.
        await readmitWipedNodes(deadline: .seconds(30))
    }

    /// Resumes voting of wiped nodes whose conditions hold: caught up, and the cluster's term
    /// above the highest term at the wipe (a transfer raises it when elections did not).
    func readmitWipedNodes(deadline: Duration) async {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            let pending = state.withLock { $0.suspended }
            if pending.isEmpty { return }
            for (id, termAtWipe) in pending {
                guard let status = await http.status(id), let leader = await leader(), let leaderStatus = await http.status(leader) else { continue }
                if leaderStatus.term <= termAtWipe {
                    await transfer(to: cluster.layout.ids.filter { $0 != leader && $0 != id }.randomElement()!)
                    continue
                }
                guard status.applied + 50 >= leaderStatus.committed, status.term > termAtWipe else { continue }
                if let error = await http.admin(.POST, node: id, path: "/v1/cluster/resume-voting") {
                    log("resume voting of n\(id): \(error)")
                } else {
                    state.withLock { _ = $0.suspended.removeValue(forKey: id) }
                    log("n\(id) resumed voting (term \(status.term) > \(termAtWipe))")
                }
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Cuts node `id` off until the leader's log is purged past the node's last entry, so it
    /// can only catch up from a snapshot, then heals.
    private func forceSnapshotInstall(on id: Int, within limit: Duration) async {
        guard let before = await http.status(id) else { skip(.snapshotInstall, "n\(id) does not answer"); return }
        let lastIndex = before.lastLog?.index ?? 0
        cluster.layout.isolate(id)
        log("n\(id) cut off at index \(lastIndex) until the leader compacts past it")
        let end = ContinuousClock.now + limit
        var compacted = false
        while ContinuousClock.now < end {
            if let leader = await leader(), leader != id, let status = await http.status(leader) {
                if let purged = status.purged, purged > lastIndex {
                    compacted = true
                    break
                }
                _ = await http.admin(.POST, node: leader, path: "/v1/cluster/snapshot")
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
        cluster.layout.healNetwork()
        if compacted {
            count(.snapshotInstall)
            state.withLock { $0.snapshotsForced += 1 }
            log("leader compacted past \(lastIndex); n\(id) healed and must install a snapshot")
            // Its own log ends at lastIndex, so a snapshot past it can only have come from the
            // leader.
            let installEnd = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < installEnd {
                if let status = await http.status(id, timeout: .seconds(1)), let snapshot = status.snapshot, snapshot > lastIndex {
                    state.withLock { $0.snapshotsInstalled += 1 }
                    log("n\(id) installed a snapshot at index \(snapshot)")
                    return
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
            log("n\(id) showed no snapshot past \(lastIndex) within 15 s of healing")
        } else {
            skip(.snapshotInstall, "the leader did not compact past \(lastIndex) in time")
        }
    }
}
