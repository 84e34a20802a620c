import RaftCore

/// One node's monotonic clock: a linear function of simulated time that drift changes the
/// slope of and jumps move. Engine time is per node, so nodes disagree as real ones do.
struct SimClock {
    /// Local time at `anchorGlobal`.
    private var anchorLocal: UInt64
    private var anchorGlobal: UInt64
    /// Parts per million faster (positive) or slower (negative) than simulated time.
    private(set) var driftPPM: Int64 = 0

    /// Clocks start far from zero so that backward jumps never underflow.
    init(startLocal: UInt64, global: UInt64) {
        anchorLocal = startLocal
        anchorGlobal = global
    }

    func local(at global: UInt64) -> UInt64 {
        let elapsed = global >= anchorGlobal ? global - anchorGlobal : 0
        let scaled = Int64(elapsed) + Int64(elapsed) / 1_000_000 * driftPPM + Int64(elapsed % 1_000_000) * driftPPM / 1_000_000
        return UInt64(max(0, Int64(anchorLocal) + scaled))
    }

    /// The earliest simulated instant at which this clock reads `local` or later.
    func global(atLocal local: UInt64, notBefore now: UInt64) -> UInt64 {
        let current = self.local(at: now)
        guard local > current else { return now }
        let wanted = local - current
        let rate = 1_000_000 + driftPPM
        // Round up, then correct for the integer rounding of `local(at:)`.
        var elapsed = (wanted * 1_000_000 + UInt64(rate) - 1) / UInt64(rate)
        while self.local(at: now + elapsed) < local { elapsed += 1 }
        return now + elapsed
    }

    mutating func setDrift(_ ppm: Int64, at global: UInt64) {
        anchorLocal = local(at: global)
        anchorGlobal = global
        driftPPM = ppm
    }

    /// Moves the clock by `nanos` (negative: backwards; the engine ignores time going back).
    mutating func jump(by nanos: Int64, at global: UInt64) {
        anchorLocal = UInt64(max(0, Int64(local(at: global)) + nanos))
        anchorGlobal = global
    }
}
