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
        /// An emptied batch the consumer handed back: its storage takes the next pushes, so a
        /// busy mailbox does not grow a fresh queue from nothing (reallocating and copying)
        /// after every take.
        @usableFromInline var spare: Deque<Element> = []
        /// How many elements the latest take moved out: the storage the consumer hands back
        /// next grew at most to that size (queues only grow until taken), which is how
        /// `recycle` bounds what the mailbox keeps.
        @usableFromInline var lastTakenCount = 0
        @usableFromInline var waiter: UnsafeContinuation<Deque<Element>, Never>?
        @usableFromInline var closed = false

        @inlinable init() {}

        /// Moves the queued elements out, leaving the spare storage in their place.
        @inlinable mutating func takeItems() -> Deque<Element> {
            var taken: Deque<Element> = []
            swap(&taken, &items)
            swap(&items, &spare)
            lastTakenCount = taken.count
            return taken
        }
    }

    /// The largest batch whose storage is kept for reuse; a burst beyond it is freed once
    /// handled rather than held for the mailbox's lifetime.
    @inlinable static var maxRecycledCount: Int { 8192 }

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
                if !state.items.isEmpty || state.closed { return state.takeItems() }
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
            return state.takeItems()
        }
    }

    /// Hands back the batch of the latest take once the consumer has emptied it, so that its
    /// storage queues the next elements. A batch that still holds elements, or that held more
    /// than ``maxRecycledCount``, is dropped instead.
    @inlinable func recycle(_ batch: consuming Deque<Element>) {
        guard batch.isEmpty else { return }
        state.withLock { state in
            if !state.closed, state.lastTakenCount <= Self.maxRecycledCount { state.spare = batch }
        }
    }

    /// Refuses further pushes and wakes the consumer; with `discardingQueued`, elements not
    /// yet taken are dropped instead of delivered.
    @inlinable func close(discardingQueued: Bool = false) {
        let waiter: UnsafeContinuation<Deque<Element>, Never>? = state.withLock { state in
            state.closed = true
            state.spare = []
            if discardingQueued { state.items = [] }
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: [])
    }

    @inlinable var isClosed: Bool { state.withLock { $0.closed } }
}
