#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Threads of the checker's own for CPU-bound searches.
///
/// Not Dispatch's pool and not the cooperative pool: on Linux both are shared with Swift
/// concurrency's tasks, so a search holding one of their threads for seconds can starve
/// unrelated tasks, and a busy pool may not give the search a second thread at all, which
/// would leave a violation in one partition waiting behind an endless search of another.
enum SearchThreads {
    /// Runs `body` on the calling thread and on `count - 1` new ones, and returns when all
    /// have returned.
    static func runOnAll(_ count: Int, _ body: @escaping @Sendable () -> Void) {
        let threads = (1..<max(1, count)).map { _ in start(body) }
        body()
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Runs `body` on a new thread that nobody joins.
    static func detach(_ body: @escaping @Sendable () -> Void) {
        pthread_detach(start(body))
    }

    private final class Work {
        let body: @Sendable () -> Void

        init(_ body: @escaping @Sendable () -> Void) {
            self.body = body
        }
    }

    private static func start(_ body: @escaping @Sendable () -> Void) -> pthread_t {
        let context = Unmanaged.passRetained(Work(body)).toOpaque()
        var handle = pthread_t()
        let status = pthread_create(&handle, nil, { context in
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        precondition(status == 0, "pthread_create failed: \(status)")
        return handle
    }
}
