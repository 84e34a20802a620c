#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Wakes the node loop at the engine's next deadline. One sleeping task at a time; it is
/// replaced only when a deadline earlier than the scheduled one appears, so a busy node
/// creates about one task per heartbeat interval, not one per event.
@usableFromInline final class TimerService<Types: RaftTypeConfig>: Sendable {
    @usableFromInline struct State {
        @usableFromInline var scheduled: RaftInstant?
        @usableFromInline var task: Task<Void, Never>?

        @inlinable init() {}
    }

    @usableFromInline let state = Mutex(State())
    @usableFromInline let mailbox: Mailbox<NodeEvent<Types>>
    @usableFromInline let clock: NodeClock

    @inlinable init(mailbox: Mailbox<NodeEvent<Types>>, clock: NodeClock) {
        self.mailbox = mailbox
        self.clock = clock
    }

    @inlinable func schedule(_ deadline: RaftInstant?) {
        guard let deadline else { return }
        state.withLock { state in
            if let scheduled = state.scheduled, scheduled <= deadline { return }
            state.task?.cancel()
            state.scheduled = deadline
            let wakeAt = clock.continuousInstant(of: deadline)
            state.task = Task { [mailbox, weak self] in
                try? await Task.sleep(until: wakeAt, clock: .continuous)
                if Task.isCancelled { return }
                self?.fired(deadline)
                mailbox.push(.tick)
            }
        }
    }

    @inlinable func fired(_ deadline: RaftInstant) {
        state.withLock { state in
            if state.scheduled == deadline {
                state.scheduled = nil
                state.task = nil
            }
        }
    }

    @inlinable func cancel() {
        state.withLock { state in
            state.task?.cancel()
            state.task = nil
            state.scheduled = nil
        }
    }
}

/// The monotonic clock a node reads, as engine instants.
@usableFromInline struct NodeClock: Sendable {
    @usableFromInline let origin: ContinuousClock.Instant
    /// The monotonic clock's reading at `origin`. Read several times per loop turn, so it is
    /// read raw: `Duration` arithmetic costs more than the clock itself.
    @usableFromInline let originNanoseconds: UInt64

    @inlinable init() {
        origin = .now
        originNanoseconds = Self.monotonicNanoseconds()
    }

    @inlinable var now: RaftInstant {
        let current = Self.monotonicNanoseconds()
        return RaftInstant(nanoseconds: current >= originNanoseconds ? current - originNanoseconds : 0)
    }

    @inlinable func continuousInstant(of instant: RaftInstant) -> ContinuousClock.Instant {
        origin.advanced(by: .nanoseconds(Int64(clamping: instant.nanoseconds)))
    }

    /// The clock `ContinuousClock` reads (the timer sleeps on it), so engine instants and
    /// wake-up instants cannot drift apart: on Linux it counts time suspended, on Darwin it
    /// is never slewed.
    @inlinable static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_BOOTTIME, &time)
        #else
        clock_gettime(CLOCK_MONOTONIC_RAW, &time)
        #endif
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
