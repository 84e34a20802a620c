import RaftCore

/// The simulated state machine: applies, snapshot builds and installs, one at a time in
/// engine order, each completing after a small latency.
extension Simulator {
    func startStateMachine(_ node: SimNode) {
        guard !node.stateMachineBusy, !node.stateMachineQueue.isEmpty else { return }
        node.stateMachineBusy = true
        let latency = random.uint(in: 20_000...800_000)
        schedule(.stateMachineDone(node: node.id, incarnation: node.incarnation), after: latency)
    }

    func stateMachineDone(_ node: SimNode, incarnation: UInt64) -> String? {
        guard node.incarnation == incarnation, node.isUp, let work = node.stateMachineQueue.popFirst() else {
            return nil
        }
        node.stateMachineBusy = false
        let description: String
        switch work {
        case .apply(let entries):
            description = apply(entries, on: node)
        case .buildSnapshot:
            description = buildSnapshot(on: node)
        case .installSnapshot(let meta):
            description = installSnapshot(meta, on: node)
        }
        if node.isUp { startStateMachine(node) }
        return description
    }

    private func apply(_ entries: [SimEntry], on node: SimNode) -> String {
        for entry in entries {
            if entry.index != node.stateMachine.lastApplied.indexOrZero + 1 {
                fail("apply order", "node \(node.id) applied \(entry.logID) after \(describe(node.stateMachine.lastApplied))")
            }
            if let problem = stateMachineSafety.observeApply(entry, node: node.id, commits: commits) { violation = violation ?? problem }
            let result = node.stateMachine.apply(entry)
            resolvePendingWrite(at: entry, result: result, on: node)
        }
        input(node) { $0.applied(upTo: entries.last!.logID) }
        return "n\(node.id) applied \(entries.first!.logID)...\(entries.last!.logID)"
    }

    private func buildSnapshot(on node: SimNode) -> String {
        guard let last = node.stateMachine.lastApplied, !random.chance(rates.snapshotBuildFailure) else {
            input(node) { $0.snapshotBuildFailed() }
            return "n\(node.id) snapshot build failed"
        }
        node.snapshotsBuilt += 1
        let meta = SnapshotMeta<SimTypes>(
            lastLogID: last, lastMembership: node.stateMachine.membership, snapshotID: "n\(node.id)-\(node.incarnation)-\(node.snapshotsBuilt)")
        if logIDBefore(node.disk.visible.snapshot?.meta.lastLogID, last) {
            node.disk.storeSnapshot(StoredSnapshot(meta: meta, values: node.stateMachine.values))
        }
        stats.snapshotsBuilt += 1
        input(node) { $0.snapshotBuilt(meta) }
        return "n\(node.id) built snapshot \(meta.snapshotID) at \(last)"
    }

    private func installSnapshot(_ meta: SnapshotMeta<SimTypes>, on node: SimNode) -> String {
        guard let values = node.receivedSnapshots[meta.snapshotID] else {
            fail("executor contract", "node \(node.id) asked to install snapshot \(meta.snapshotID), which it never received")
            return "n\(node.id) missing snapshot"
        }
        let snapshot = StoredSnapshot(meta: meta, values: values)
        node.stateMachine = KVStateMachine(snapshot: snapshot)
        node.stateMachine.values.reserveCapacity(options.keyCount)
        node.disk.storeSnapshot(snapshot)
        stats.snapshotsInstalled += 1
        for index in node.pendingWrites.keys.sorted() where index <= meta.lastLogID.indexOrZero {
            let pending = node.pendingWrites.removeValue(forKey: index)!
            respond(to: pending.client, attempt: pending.attempt, .unknown)
        }
        input(node) { $0.snapshotInstalled(meta) }
        return "n\(node.id) installed snapshot \(meta.snapshotID) at \(describe(meta.lastLogID))"
    }
}
