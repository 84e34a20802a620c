import RaftCore

/// The nemesis: during the fault phase it partitions, crashes, corrupts and skews clocks, at
/// random times, within the enabled fault classes and the fault atlas.
extension Simulator {
    private enum Action: CaseIterable {
        case partition, crash, bitFlip, clockJump, clockDrift, slowDisk, deposeLeader
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
        // Appended last, so that without this class a seed picks what it picked before.
        if faults.contains(.deposedLeader) { actions += [.deposeLeader, .deposeLeader] }
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
        case .deposeLeader: return deposeTheLeader()
        }
    }

    /// Cuts the leader off without telling it: a client stays with it and reads there, the
    /// other clients write through the rest of the cluster, which elects a new leader. The
    /// deposed leader must answer no read from then on that misses what its successor commits
    /// (a lease that outlives its promise, a read index without its quorum round).
    ///
    /// Half the time it is cut off both ways at once. Otherwise its link goes grey: first what
    /// is sent to it arrives 80–190 ms late (within the RPC timeout), then, 60–150 ms later,
    /// what it sends is lost too; answers to its last heartbeats still reach it, late.
    private func deposeTheLeader() -> String {
        if partitionActive, deposeGeneration == partitionGeneration { return "nemesis: a leader is already deposed" }
        guard let leader = currentLeader() else { return "nemesis: no leader to depose" }
        let others = allNodeIDs.filter { $0 != leader.id }
        guard leader.engine!.effectiveMembership.config.voterIDs.count >= 3 else { return "nemesis: too few voters to depose n\(leader.id)" }
        let workers = clients.indices.filter { !clients[$0].isProbe }
        guard !workers.isEmpty else { return "nemesis: no client to pin" }
        network.healAll()
        partitionActive = true
        partitionGeneration += 1
        deposeGeneration = partitionGeneration
        let grey = random.chance(0.5)
        if grey {
            network.inboundDelay[Int(leader.id)] = random.uint(in: 80_000_000...190_000_000)
            schedule(.cutLinksFrom(node: leader.id, generation: partitionGeneration), after: random.uint(in: 60_000_000...150_000_000))
        } else {
            for other in others {
                network.blocked[Int(leader.id)][Int(other)] = true
                network.blocked[Int(other)][Int(leader.id)] = true
            }
        }
        let duration = random.uint(in: 400_000_000...1_500_000_000)
        schedule(.healPartition(generation: partitionGeneration), after: duration)
        let reader = random.pick(workers)
        for index in workers {
            if index == reader {
                clients[index].episode = SimClient.Episode(role: .pinnedReader(leader.id), until: now + duration)
                clients[index].target = leader.id
            } else {
                clients[index].episode = SimClient.Episode(role: .writer, until: now + duration)
                clients[index].target = random.pick(others)
            }
        }
        let how = grey ? "its messages lost, messages to it \(network.inboundDelay[Int(leader.id)] / 1_000_000)ms late" : "cut off"
        return "nemesis deposes n\(leader.id) (\(how) for \(duration / 1_000_000)ms); client \(reader) stays with it"
    }

    private func partitionOrHeal() -> String {
        if partitionActive, deposeGeneration == partitionGeneration { return "nemesis leaves the deposed leader cut off" }
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

    /// The second half of a grey link: what the node sends is lost from now on.
    func cutLinksFrom(_ id: NodeID, generation: UInt64) -> String? {
        guard generation == partitionGeneration, partitionActive else { return nil }
        for other in allNodeIDs where other != id { network.blocked[Int(id)][Int(other)] = true }
        return "nemesis: n\(id)'s messages are lost from now on"
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
