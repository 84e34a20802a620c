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
    /// Runs `body` on a new thread that nobody joins, or on the calling thread if the system
    /// refuses one.
    static func detach(_ body: @escaping @Sendable () -> Void) {
        guard let thread = start(body) else {
            body()
            return
        }
        pthread_detach(thread)
    }

    private final class Work {
        let body: @Sendable () -> Void

        init(_ body: @escaping @Sendable () -> Void) {
            self.body = body
        }
    }

    private static func start(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
        let work = Unmanaged.passRetained(Work(body))
        var handle = pthread_t()
        let status = pthread_create(&handle, nil, { context in
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, work.toOpaque())
        guard status == 0 else {
            work.release()
            return nil
        }
        return handle
    }
}
