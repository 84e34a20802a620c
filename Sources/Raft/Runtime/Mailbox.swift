import DequeModule
import Synchronization

/// A multi-producer, single-consumer queue: producers push from any task or thread without
/// waiting; the one consumer takes everything queued at once, or parks until something arrives.
///
/// Far cheaper than `AsyncStream` per element (see `notes/swift-performance.md`): a push is a
/// lock and an append; one wake-up serves a whole batch.
@usableFromInline final class Mailbox<Element: Sendable>: Sendable {
    @usableFromInline struct State {
        @usableFromInline var items: Deque<Element> = []
        @usableFromInline var waiter: UnsafeContinuation<Deque<Element>, Never>?

        @inlinable init(items: Deque<Element> = [], waiter: UnsafeContinuation<Deque<Element>, Never>? = nil) {
            self.items = items
            self.waiter = waiter
        }
        @usableFromInline var closed = false
    }

    @usableFromInline let state = Mutex(State())

    @inlinable init() {}

    /// Queues `element`; returns false if the mailbox is closed.
    @discardableResult
    @inlinable func push(_ element: Element) -> Bool {
        let (accepted, waiter): (Bool, UnsafeContinuation<Deque<Element>, Never>?) = state.withLock { state in
            guard !state.closed else { return (false, nil) }
            state.items.append(element)
            let waiter = state.waiter
            state.waiter = nil
            return (true, waiter)
        }
        if let waiter { waiter.resume(returning: takeNow() ?? []) }
        return accepted
    }

    /// Takes every queued element, waiting if there is none. Returns an empty batch once the
    /// mailbox is closed and drained.
    @inlinable nonisolated(nonsending) func takeAll() async -> Deque<Element> {
        if let ready = takeNow() { return ready }
        return await withUnsafeContinuation { continuation in
            let immediate: Deque<Element>? = state.withLock { state in
                if !state.items.isEmpty || state.closed {
                    let items = state.items
                    state.items = []
                    return items
                }
                state.waiter = continuation
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Takes every queued element without waiting; nil when there is none.
    @inlinable func takeNow() -> Deque<Element>? {
        state.withLock { state in
            if state.items.isEmpty { return state.closed ? [] : nil }
            let items = state.items
            state.items = []
            return items
        }
    }

    /// Refuses further pushes and wakes the consumer; with `discardingQueued`, elements not
    /// yet taken are dropped instead of delivered.
    @inlinable func close(discardingQueued: Bool = false) {
        let waiter: UnsafeContinuation<Deque<Element>, Never>? = state.withLock { state in
            state.closed = true
            if discardingQueued { state.items = [] }
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: [])
    }

    @inlinable var isClosed: Bool { state.withLock { $0.closed } }
}
