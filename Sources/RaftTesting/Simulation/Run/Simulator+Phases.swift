import RaftCore

/// The end of the fault phase, the recovery the liveness check waits for, and its deadline.
extension Simulator {
    func endFaults() -> String {
        guard phase == .faults else { return "faults already ended" }
        phase = .healing
        rates.heal()
        network.healAll()
        network.lossProbability = 0
        network.duplicateProbability = 0
        network.reorderProbability = 0
        network.delayProbability = 0
        partitionActive = false
        for node in nodes {
            node.clock.setDrift(0, at: now)
            node.slowDisk = false
            if !node.isUp { restart(node, allowWipe: false) }
        }
        startProbe()
        return "faults end; network healed, clocks steady, every node up"
    }

    /// After healing: done once no node is suspended, the probe write was acknowledged and
    /// every voter of the configuration applied it.
    func checkRecovered() -> String? {
        guard nodes.allSatisfy({ $0.engine?.votingSuspended == false }),
              let probe = probeClient, let probeLogID = clients[probe].probeAcknowledged,
              let leader = currentLeader() else { return nil }
        let config = leader.engine!.effectiveMembership.config
        guard !config.isJoint else { return nil }
        let lagging = config.voterIDs.sorted().filter { node($0).stateMachine.lastApplied.indexOrZero < probeLogID.index }
        guard lagging.isEmpty else { return nil }
        phase = .done
        stats.recoveryNanoseconds = now - faultEnd
        return "recovered: probe write \(probeLogID) applied on every voter of \(config)"
    }

    func livenessDeadlinePassed() -> String {
        guard phase != .done else { return "liveness deadline (already recovered)" }
        let suspended = nodes.filter { $0.engine?.votingSuspended == true }.map(\.id)
        let leader = currentLeader().map { "n\($0.id)" } ?? "none"
        let probe = probeClient.flatMap { clients[$0].probeAcknowledged }.map(\.description) ?? "not acknowledged"
        fail("liveness", "\(options.livenessBound) after faults healed: leader \(leader), probe write \(probe), still suspended \(suspended); " + nodes.map(\.summary).joined(separator: " "))
        return "liveness deadline"
    }
}
