import Synchronization

/// Holds a node's latest metrics, wakes waiters whose condition became true, and feeds
/// subscribers. Updated by the node loop only when something changed.
final class MetricsPublisher<Types: RaftTypeConfig>: Sendable {
    private struct Waiter {
        var id: UInt64
        var condition: MetricsCondition<Types>
        var continuation: CheckedContinuation<RaftMetrics<Types>?, Never>
    }

    private struct State {
        var current: RaftMetrics<Types>
        var waiters: [Waiter] = []
        var subscribers: [UInt64: AsyncStream<RaftMetrics<Types>>.Continuation] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    init(_ initial: RaftMetrics<Types>) {
        state = Mutex(State(current: initial))
    }

    var current: RaftMetrics<Types> { state.withLock { $0.current } }

    func publish(_ metrics: RaftMetrics<Types>) {
        let (satisfied, subscribers): ([Waiter], [AsyncStream<RaftMetrics<Types>>.Continuation]) = state.withLock { state in
            guard state.current != metrics else { return ([], []) }
            state.current = metrics
            var satisfied: [Waiter] = []
            state.waiters.removeAll { waiter in
                guard waiter.condition.isSatisfied(metrics) else { return false }
                satisfied.append(waiter)
                return true
            }
            return (satisfied, Array(state.subscribers.values))
        }
        for waiter in satisfied { waiter.continuation.resume(returning: metrics) }
        for subscriber in subscribers { subscriber.yield(metrics) }
    }

    /// Waits until `condition` holds or `timeout` passes (nil on timeout).
    func wait(for condition: MetricsCondition<Types>, timeout: Duration) async -> RaftMetrics<Types>? {
        let id: UInt64 = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskGroup(of: RaftMetrics<Types>?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let immediate: RaftMetrics<Types>? = self.state.withLock { state in
                        if condition.isSatisfied(state.current) { return state.current }
                        state.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                        return nil
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            // Whichever finished first, release the other.
            let pending: Waiter? = self.state.withLock { state in
                guard let position = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: position)
            }
            pending?.continuation.resume(returning: nil)
            group.cancelAll()
            return first
        }
    }

    func subscribe() -> AsyncStream<RaftMetrics<Types>> {
        let (stream, continuation) = AsyncStream<RaftMetrics<Types>>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id: UInt64 = state.withLock { state in
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            continuation.yield(state.current)
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every subscription and wakes every waiter (used at shutdown).
    func finish() {
        let (waiters, subscribers) = state.withLock { state -> ([Waiter], [AsyncStream<RaftMetrics<Types>>.Continuation]) in
            let result = (state.waiters, Array(state.subscribers.values))
            state.waiters = []
            state.subscribers = [:]
            return result
        }
        for waiter in waiters {
            let current = self.current
            waiter.continuation.resume(returning: waiter.condition.isSatisfied(current) ? current : nil)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
