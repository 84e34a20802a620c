/// A point on a monotonic clock, in nanoseconds from an arbitrary origin. The engine never
/// reads a clock: the caller passes the current instant to ``RaftEngine/tick(now:)``.
public struct RaftInstant: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: UInt64

    /// The instant `nanoseconds` after the origin.
    @inlinable public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// The clock's origin.
    public static let zero = RaftInstant(nanoseconds: 0)

    @inlinable public static func < (lhs: RaftInstant, rhs: RaftInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The instant `rhs` after `lhs` (negative durations count as zero).
    @inlinable public static func + (lhs: RaftInstant, rhs: Duration) -> RaftInstant {
        RaftInstant(nanoseconds: lhs.nanoseconds &+ rhs.nanosecondsClamped)
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    @inlinable public func duration(since earlier: RaftInstant) -> Duration {
        nanoseconds > earlier.nanoseconds ? .nanoseconds(Int64(nanoseconds - earlier.nanoseconds)) : .zero
    }

    @inlinable public var description: String { "t=\(nanoseconds / 1_000_000)ms" }
}

/// Conversions the engine uses for its timers.
extension Duration {
    /// This duration in whole nanoseconds, 0 if negative, clamped to `UInt64`.
    @inlinable public var nanosecondsClamped: UInt64 {
        // Engine timeouts fit in 64 bits of attoseconds (up to 18 s); for those a 64-bit
        // division by a constant replaces the 128-bit arithmetic of `components`, which showed
        // up in every loop turn's deadline computations.
        let total = attoseconds
        if total >= 0 && total <= Int128(UInt64.max) { return UInt64(total) / 1_000_000_000 }
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (wholeNanos, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        return wholeNanos &+ UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
