#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import DequeModule

/// One thread that runs the jobs of every task preferring it, in the order they were queued.
///
/// Pass it to ``RaftNode/start(id:config:logStore:stateMachine:network:logger:storageLost:randomSeed:executor:)``
/// (and, if they live in the same process, to the tasks that call the node, with
/// `Task(executorPreference:)`): hand-offs between tasks on one such thread are queue appends
/// instead of wake-ups of pooled threads, which on virtual machines cost tens of microseconds
/// each. Only the node loop runs here; a store or state machine that may block still runs on
/// its own task in the global pool.
///
/// The thread lives until ``shutdown()``: jobs queued before it still run there; jobs that
/// arrive afterwards run on the global concurrent executor, so no task is ever stranded.
public final class RaftThreadExecutor: TaskExecutor, @unchecked Sendable {
    // Guarded by `mutex`; `@unchecked Sendable` rests on that.
    @usableFromInline var queued: Deque<UnownedJob> = []
    @usableFromInline var sleeping = false
    @usableFromInline var stopping = false
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let condition: UnsafeMutablePointer<pthread_cond_t>
    @usableFromInline var thread: pthread_t?

    /// Starts the thread.
    @inlinable public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
        // The thread keeps the executor alive until it stops.
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let status = pthread_create(&handle, nil, { context in
            let executor = Unmanaged<RaftThreadExecutor>.fromOpaque(context!).takeRetainedValue()
            executor.runJobs()
            return nil
        }, context)
        precondition(status == 0, "pthread_create failed: \(status)")
        thread = handle
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Queues a job for the executor's thread (or, once it has stopped, for the global executor).
    @inlinable public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        let accepted = !stopping
        if accepted { queued.append(job) }
        let wake = accepted && sleeping
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
        if !accepted { globalConcurrentExecutor.enqueue(job) }
    }

    /// Stops the thread once it has run the jobs queued so far, and returns when it has (at
    /// once when called from the thread itself, or again). Tasks that still prefer this
    /// executor keep running, on the global concurrent executor; stop their nodes first to
    /// keep them on one thread to the end.
    @inlinable public func shutdown() {
        pthread_mutex_lock(mutex)
        stopping = true
        let handle = thread
        thread = nil
        pthread_mutex_unlock(mutex)
        pthread_cond_signal(condition)
        guard let handle else { return }
        if pthread_equal(handle, pthread_self()) != 0 {
            pthread_detach(handle)
        } else {
            pthread_join(handle, nil)
        }
    }

    @inlinable func runJobs() {
        var batch: Deque<UnownedJob> = []
        while true {
            pthread_mutex_lock(mutex)
            while queued.isEmpty && !stopping {
                sleeping = true
                pthread_cond_wait(condition, mutex)
                sleeping = false
            }
            if queued.isEmpty {
                pthread_mutex_unlock(mutex)
                return
            }
            swap(&batch, &queued)
            pthread_mutex_unlock(mutex)
            let executor = asUnownedTaskExecutor()
            while let job = batch.popFirst() { job.runSynchronously(on: executor) }
        }
    }
}
