#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Raft
import RaftTesting
import Synchronization
import Testing

@Suite("Runtime: nodes on a RaftThreadExecutor", .serialized)
struct ThreadExecutorTests {
    /// The thread a job runs on, as a number that can be compared across tasks.
    static func currentThread() -> UInt {
        #if os(Linux)
        UInt(pthread_self())
        #else
        UInt(bitPattern: pthread_self())
        #endif
    }

    final class Seen: Sendable {
        let state = Mutex<(threads: Set<UInt>, order: [Int])>(([], []))
    }

    @Test func tasksPreferringTheExecutorRunOnItsOneThreadInOrder() async throws {
        let executor = RaftThreadExecutor()
        let seen = Seen()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<50 {
                group.addTask(executorPreference: executor) {
                    seen.state.withLock { $0.threads.insert(Self.currentThread()); $0.order.append(index) }
                    await Task.yield()
                    seen.state.withLock { _ = $0.threads.insert(Self.currentThread()) }
                }
            }
        }
        let result = seen.state.withLock { $0 }
        #expect(result.threads.count == 1, "every job ran on the executor's thread")
        #expect(result.order == Array(0..<50), "jobs run in the order they were queued")
        executor.shutdown()
    }

    @Test func shutdownWhileATaskRunsLetsItFinish() async throws {
        let executor = RaftThreadExecutor()
        let task = Task(executorPreference: executor) { () -> Int in
            var sum = 0
            for value in 1...100 {
                sum += value
                await Task.yield()
            }
            return sum
        }
        // Requested while the task still runs: its later jobs move to the global executor.
        executor.shutdown()
        #expect(await task.value == 5050)
        executor.shutdown()
    }

    /// A task that still prefers the executor after it stopped runs on the global executor
    /// instead of hanging.
    @Test func tasksPreferringAStoppedExecutorStillRun() async throws {
        let executor = RaftThreadExecutor()
        executor.shutdown()
        let task = Task(executorPreference: executor) { () -> Int in
            await Task.yield()
            return 42
        }
        #expect(await task.value == 42)
    }

    @Test func clusterOnOneThreadReplicatesAndFailsOver() async throws {
        let executor = RaftThreadExecutor()
        let cluster = try await TestCluster.started([1, 2, 3], executor: executor)
        let leader = try await cluster.leader()
        // Clients share the thread, as in `raft-bench --threads 1`.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<32 {
                group.addTask(executorPreference: executor) {
                    for index in 0..<10 { _ = try await leader.write(.put(key: "c\(client)-\(index)", value: "\(index)")) }
                }
            }
            try await group.waitForAll()
        }
        try await cluster.waitApplied(leader.metrics.lastLogIndex)
        for id: NodeID in [1, 2, 3] {
            #expect(await cluster.stateMachine(id).value(forKey: "c31-9") == "9", "node \(id)")
        }
        await cluster.stop(leader.id)
        let next = try await cluster.leader(excluding: [leader.id])
        _ = try await next.write(.put(key: "after", value: "failover"))
        try await cluster.waitApplied(next.metrics.lastLogIndex)
        for id in await cluster.runningIDs {
            #expect(await cluster.stateMachine(id).value(forKey: "after") == "failover", "node \(id)")
        }
        await cluster.shutdownAll()
        executor.shutdown()
    }
}
