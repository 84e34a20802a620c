#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wakes the writer thread. Notifications coalesce: one wake-up covers everything enqueued
/// before it, which is what lets the writer batch.
@usableFromInline final class WakeSignal: @unchecked Sendable {
    // pthread objects must not move, so they live in allocated memory; `signaled` is only
    // touched with `mutex` held.
    @usableFromInline let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    @usableFromInline let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    @usableFromInline var signaled = false

    @inlinable init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    @inlinable func notify() {
        pthread_mutex_lock(mutex)
        signaled = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until notified, then consumes the notification.
    @inlinable func wait() {
        pthread_mutex_lock(mutex)
        while !signaled { pthread_cond_wait(condition, mutex) }
        signaled = false
        pthread_mutex_unlock(mutex)
    }
}

/// Starts a detached OS thread. The log writer blocks in fsync for milliseconds at a time, so
/// it must not occupy one of the few cooperative-pool threads Swift concurrency runs on.
@usableFromInline enum DedicatedThread {
    @usableFromInline final class Body {
        @usableFromInline let run: @Sendable () -> Void
        @inlinable init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    @inlinable static func start(_ run: @escaping @Sendable () -> Void) {
        let body = Unmanaged.passRetained(Body(run)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let result = pthread_create(&thread, &attributes, { argument in
            let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
            body.run()
            return nil
        }, body)
        precondition(result == 0, "cannot start the log writer thread (error \(result))")
    }
}
