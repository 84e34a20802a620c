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
final class TimerService<Types: RaftTypeConfig>: Sendable {
    private struct State {
        var scheduled: RaftInstant?
        var task: Task<Void, Never>?
    }

    private let state = Mutex(State())
    private let mailbox: Mailbox<NodeEvent<Types>>
    private let clock: NodeClock

    init(mailbox: Mailbox<NodeEvent<Types>>, clock: NodeClock) {
        self.mailbox = mailbox
        self.clock = clock
    }

    func schedule(_ deadline: RaftInstant?) {
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

    private func fired(_ deadline: RaftInstant) {
        state.withLock { state in
            if state.scheduled == deadline {
                state.scheduled = nil
                state.task = nil
            }
        }
    }

    func cancel() {
        state.withLock { state in
            state.task?.cancel()
            state.task = nil
            state.scheduled = nil
        }
    }
}

/// The monotonic clock a node reads, as engine instants.
struct NodeClock: Sendable {
    let origin: ContinuousClock.Instant
    /// The monotonic clock's reading at `origin`. Read several times per loop turn, so it is
    /// read raw: `Duration` arithmetic costs more than the clock itself.
    private let originNanoseconds: UInt64

    init() {
        origin = .now
        originNanoseconds = Self.monotonicNanoseconds()
    }

    var now: RaftInstant {
        let current = Self.monotonicNanoseconds()
        return RaftInstant(nanoseconds: current >= originNanoseconds ? current - originNanoseconds : 0)
    }

    func continuousInstant(of instant: RaftInstant) -> ContinuousClock.Instant {
        origin.advanced(by: .nanoseconds(Int64(clamping: instant.nanoseconds)))
    }

    /// The clock `ContinuousClock` reads (the timer sleeps on it), so engine instants and
    /// wake-up instants cannot drift apart: on Linux it counts time suspended, on Darwin it
    /// is never slewed.
    private static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_BOOTTIME, &time)
        #else
        clock_gettime(CLOCK_MONOTONIC_RAW, &time)
        #endif
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
