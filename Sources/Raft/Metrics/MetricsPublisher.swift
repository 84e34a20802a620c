import Synchronization

/// Holds a node's latest metrics, wakes waiters whose condition became true, and feeds
/// subscribers. Updated by the node loop only when something changed.
@usableFromInline final class MetricsPublisher<Types: RaftTypeConfig>: Sendable {
    @usableFromInline struct Waiter {
        @usableFromInline var id: UInt64
        @usableFromInline var condition: MetricsCondition<Types>
        @usableFromInline var continuation: CheckedContinuation<RaftMetrics<Types>?, Never>
        @usableFromInline var timer: Task<Void, Never>?

        @inlinable init(id: UInt64, condition: MetricsCondition<Types>, continuation: CheckedContinuation<RaftMetrics<Types>?, Never>) {
            self.id = id
            self.condition = condition
            self.continuation = continuation
        }
    }

    @usableFromInline struct State {
        @usableFromInline var current: RaftMetrics<Types>
        @usableFromInline var waiters: [Waiter] = []
        @usableFromInline var subscribers: [UInt64: AsyncStream<RaftMetrics<Types>>.Continuation] = [:]
        @usableFromInline var nextID: UInt64 = 0

        /// The node stopped: no further change will come.
        @usableFromInline var finished = false

        @inlinable init(current: RaftMetrics<Types>) {
            self.current = current
        }
    }

    @usableFromInline let state: Mutex<State>

    @inlinable init(_ initial: RaftMetrics<Types>) {
        state = Mutex(State(current: initial))
    }

    @inlinable var current: RaftMetrics<Types> { state.withLock { $0.current } }

    /// Replaces the current metrics; the caller publishes only metrics that changed.
    @inlinable func publish(_ metrics: RaftMetrics<Types>) {
        let (satisfied, subscribers): ([Waiter], [AsyncStream<RaftMetrics<Types>>.Continuation]) = state.withLock { state in
            state.current = metrics
            // Most turns have no one waiting or subscribed: nothing to collect.
            if state.waiters.isEmpty && state.subscribers.isEmpty { return ([], []) }
            var satisfied: [Waiter] = []
            state.waiters.removeAll { waiter in
                guard waiter.condition.isSatisfied(metrics) else { return false }
                satisfied.append(waiter)
                return true
            }
            return (satisfied, Array(state.subscribers.values))
        }
        for waiter in satisfied {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: metrics)
        }
        for subscriber in subscribers { subscriber.yield(metrics) }
    }

    /// Waits until `condition` holds, `timeout` passes or the caller's task is cancelled (nil
    /// on timeout, on cancellation and once finished). The waiter is registered before its
    /// timer starts, and whichever of condition, timer and cancellation removes it from the
    /// list resumes it, so it is resumed exactly once. Registration checks for cancellation
    /// under the same lock the cancellation handler takes, so a cancellation that arrives
    /// before the waiter is listed is not lost (a task group waiting on a node that only
    /// stops after the group ends would otherwise never end).
    @inlinable func wait(for condition: MetricsCondition<Types>, timeout: Duration) async -> RaftMetrics<Types>? {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let registered: Bool = state.withLock { state in
                    if condition.isSatisfied(state.current) || state.finished || Task.isCancelled { return false }
                    state.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                    return true
                }
                guard registered else {
                    let current = self.current
                    continuation.resume(returning: condition.isSatisfied(current) ? current : nil)
                    return
                }
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    self?.expire(id)
                }
                // The timer outlives an early answer otherwise, for as long as the timeout.
                state.withLock { state in
                    if let position = state.waiters.firstIndex(where: { $0.id == id }) {
                        state.waiters[position].timer = timer
                    } else {
                        timer.cancel()
                    }
                }
            }
        } onCancel: {
            self.expire(id)
        }
    }

    @inlinable func expire(_ id: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            guard let position = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: position)
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(returning: nil)
    }

    @inlinable func subscribe() -> AsyncStream<RaftMetrics<Types>> {
        let (stream, continuation) = AsyncStream<RaftMetrics<Types>>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id: UInt64? = state.withLock { state in
            continuation.yield(state.current)
            if state.finished { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every subscription and wakes every waiter (used at shutdown).
    @inlinable func finish() {
        let (waiters, subscribers) = state.withLock { state -> ([Waiter], [AsyncStream<RaftMetrics<Types>>.Continuation]) in
            state.finished = true
            let result = (state.waiters, Array(state.subscribers.values))
            state.waiters = []
            state.subscribers = [:]
            return result
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            let current = self.current
            waiter.continuation.resume(returning: waiter.condition.isSatisfied(current) ? current : nil)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
