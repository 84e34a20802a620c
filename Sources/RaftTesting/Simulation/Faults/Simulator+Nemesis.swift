import RaftCore

/// The nemesis: during the fault phase it partitions, crashes, corrupts and skews clocks, at
/// random times, within the enabled fault classes and the fault atlas.
extension Simulator {
    private enum Action: CaseIterable {
        case partition, crash, bitFlip, clockJump, clockDrift, slowDisk
    }

    private var enabledActions: [Action] {
        let faults = options.faults
        var actions: [Action] = []
        if !faults.isDisjoint(with: [.partitions, .asymmetricPartitions]) { actions.append(.partition) }
        if faults.contains(.crashes) { actions += [.crash, .crash] }
        if faults.contains(.bitFlips) { actions.append(.bitFlip) }
        if faults.contains(.clockJumps) { actions.append(.clockJump) }
        if faults.contains(.clockDrift) { actions.append(.clockDrift) }
        if faults.contains(.delay) { actions.append(.slowDisk) }
        return actions
    }

    func nemesis() -> String {
        guard phase == .faults else { return "nemesis rests" }
        schedule(.nemesis, after: random.uint(in: rates.nemesisIntervalNanos / 2...rates.nemesisIntervalNanos * 3 / 2))
        // Faults start once the cluster has formed: before its first commit only the
        // initializing node may hold the membership.
        guard commits.committedIndex > 0 else { return "nemesis waits for the cluster to form" }
        let actions = enabledActions
        guard !actions.isEmpty else { return "nemesis idle" }
        switch random.pick(actions) {
        case .partition: return partitionOrHeal()
        case .crash: return crashSomeNode()
        case .bitFlip: return flipABit()
        case .clockJump: return jumpAClock()
        case .clockDrift: return driftAClock()
        case .slowDisk: return slowADisk()
        }
    }

    private func partitionOrHeal() -> String {
        if partitionActive && random.chance(0.5) {
            network.healAll()
            partitionActive = false
            return "nemesis heals the network"
        }
        let ids = allNodeIDs
        // A third of the time the leader alone is cut off: the case check-quorum, leases and
        // stickiness exist for.
        var side = ids.filter { _ in random.chance(0.5) }
        if let leader = currentLeader(), random.chance(0.33) { side = [leader.id] }
        if side.isEmpty { side = [random.pick(ids)] }
        if side.count == ids.count { side.removeLast() }
        let other = ids.filter { !side.contains($0) }
        let symmetric = !options.faults.contains(.asymmetricPartitions) || (options.faults.contains(.partitions) && random.chance(0.5))
        for a in side {
            for b in other {
                network.blocked[Int(a)][Int(b)] = true
                if symmetric { network.blocked[Int(b)][Int(a)] = true }
            }
        }
        partitionActive = true
        partitionGeneration += 1
        schedule(.healPartition(generation: partitionGeneration), after: random.uint(in: 100_000_000...2_500_000_000))
        return "nemesis partitions \(side) \(symmetric ? "<->" : "->") \(other)"
    }

    func healPartition(generation: UInt64) -> String {
        guard generation == partitionGeneration, partitionActive else { return "partition already healed" }
        network.healAll()
        partitionActive = false
        return "partition healed"
    }

    private func crashSomeNode() -> String {
        let up = nodes.filter(\.isUp)
        guard !up.isEmpty else { return "nemesis: nobody to crash" }
        // Half the time the leader: most protocol state is there.
        let victim = random.chance(0.5) ? (currentLeader() ?? random.pick(up)) : random.pick(up)
        crash(victim, reason: "nemesis")
        scheduleRestart(victim)
        return "nemesis crashes n\(victim.id)"
    }

    private func flipABit() -> String {
        let victim = random.pick(nodes)
        guard atlasAllowsDamage(to: victim.id) else { return "nemesis spares n\(victim.id)'s disk (atlas)" }
        let image = victim.disk.durable
        if random.chance(0.2) {
            guard image.vote != .initial else { return "nemesis: n\(victim.id) has no vote to corrupt" }
            victim.disk.corruptVote()
            markDamaged(victim.id)
            stats.bitFlips += 1
            return "nemesis flips a bit in n\(victim.id)'s vote"
        }
        guard image.syncedIndex >= image.firstIndex, !image.entries.isEmpty else { return "nemesis: n\(victim.id) has no synced entry" }
        let index = random.uint(in: image.firstIndex...min(image.syncedIndex, image.lastIndex))
        guard victim.disk.corruptEntry(at: index) else { return "nemesis: n\(victim.id) entry \(index) not synced" }
        markDamaged(victim.id)
        stats.bitFlips += 1
        return "nemesis flips a bit in n\(victim.id)'s entry \(index)"
    }

    private func jumpAClock() -> String {
        let victim = random.pick(nodes)
        let magnitude = Int64(random.uint(in: 10_000_000...2_000_000_000))
        let jump = random.chance(0.3) ? -magnitude : magnitude
        victim.clock.jump(by: jump, at: now)
        if victim.isUp { input(victim) { _ in } }
        return "nemesis moves n\(victim.id)'s clock by \(jump / 1_000_000)ms"
    }

    private func driftAClock() -> String {
        let victim = random.pick(nodes)
        let ppm = Int64(random.uint(in: 0...100_000)) - 50_000
        victim.clock.setDrift(ppm, at: now)
        if victim.isUp { input(victim) { _ in } }
        return "nemesis sets n\(victim.id)'s clock drift to \(ppm)ppm"
    }

    private func slowADisk() -> String {
        let victim = random.pick(nodes)
        victim.slowDisk.toggle()
        return "nemesis makes n\(victim.id)'s disk \(victim.slowDisk ? "slow" : "fast")"
    }
}
