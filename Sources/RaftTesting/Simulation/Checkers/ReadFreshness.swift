import RaftCore

/// A read served by a leader reflects every entry that any newer leader had committed before
/// the read reached it, judged in the simulator's true time (the engine's clocks play no part).
///
/// This is what a leader must prove before it answers from its own state: that no newer
/// leader has committed anything yet, by a quorum round (read index) or by a lease that
/// keeps newer leaders from being elected. A deposed leader that does not know it fails it
/// as soon as its successor commits its first entry, without waiting for a client to write
/// and read the same key. Entries a newer leader commits while the read waits are concurrent
/// with it and need not be reflected.
enum ReadFreshnessChecker {
    static func check(_ read: ClientRead, servedFrom applied: LogID?, commits: CommitTracker) -> SimulationViolation? {
        guard let leader = read.leader, applied.indexOrZero < read.mustReflect else { return nil }
        let newer = commits.committingLeader(at: read.mustReflect).map(\.description) ?? "?"
        return SimulationViolation(
            property: "read reflects newer leaders' commits",
            detail: "node \(read.node) (leader \(leader)) served client \(read.client)'s \(read.policy) read of k\(read.key) from state applied through \(describe(applied)), "
                + "but leader \(newer) had committed index \(read.mustReflect) before the read arrived")
    }
}
