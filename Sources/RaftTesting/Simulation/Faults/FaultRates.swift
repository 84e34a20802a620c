/// The fault rates of one run, drawn from its seed within the enabled classes (every
/// parameter comes from the seed, as in openraft's turmoil fuzzer).
struct FaultRates {
    var messageLoss = 0.0
    var messageDuplication = 0.0
    var messageReordering = 0.0
    var messageDelay = 0.0
    var writeError = 0.0
    var readError = 0.0
    var fsyncError = 0.0
    var snapshotBuildFailure = 0.0
    /// Chance that a request is held back and delivered after terms have moved on.
    var staleMessage = 0.0
    /// Mean time between nemesis actions.
    var nemesisIntervalNanos: UInt64 = 200_000_000

    init(faults: FaultSet, random: inout SimRandom) {
        // One seed in five is a lossy network (up to 25 %), the others a mildly lossy one.
        if faults.contains(.loss) { messageLoss = random.unit() * (random.chance(0.2) ? 0.25 : 0.08) }
        if faults.contains(.duplication) { messageDuplication = random.unit() * 0.05 }
        if faults.contains(.reordering) { messageReordering = random.unit() * 0.2 }
        if faults.contains(.delay) { messageDelay = random.unit() * 0.04 }
        if faults.contains(.diskErrors) {
            writeError = 0.0002 + random.unit() * 0.001
            readError = 0.0005 + random.unit() * 0.003
            fsyncError = 0.0002 + random.unit() * 0.001
        }
        if faults.contains(.snapshots) { snapshotBuildFailure = random.unit() * 0.2 }
        nemesisIntervalNanos = random.uint(in: 80_000_000...400_000_000)
        // Drawn last, so that without this class a seed draws what it drew before it existed.
        if faults.contains(.staleMessages) { staleMessage = random.unit() * 0.03 }
    }

    /// No more faults: the liveness phase.
    mutating func heal() {
        messageLoss = 0
        messageDuplication = 0
        messageReordering = 0
        messageDelay = 0
        writeError = 0
        readError = 0
        fsyncError = 0
        snapshotBuildFailure = 0
        staleMessage = 0
    }
}
