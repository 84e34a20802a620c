import NIOCore

/// Runs tasks on one NIO event loop. Pass it as a node's executor (`RaftNode.start(...,
/// executor:)`) and give the node's server and transport the same event loop as their group:
/// then the node's loop, its peer connections and the connections it serves share one thread,
/// and a hand-off between them (a request queued for a peer, an answer queued for the node)
/// is a queue append instead of a thread wake-up.
///
/// ```swift
/// let loop = MultiThreadedEventLoopGroup.singleton.next()
/// let server = try RaftNIOServer<MyTypes>(nodeID: 1, configuration: configuration, group: loop)
/// let transport = try RaftNIOTransport<MyTypes>(nodeID: 1, configuration: configuration, group: loop)
/// let node = try await RaftNode.start(..., network: transport.network(), executor: EventLoopTaskExecutor(loop))
/// ```
///
/// Only for nodes whose log store, state machine and callers never block the thread: a
/// blocked event loop stops every connection on it.
public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    /// The loop tasks run on.
    public let eventLoop: any EventLoop

    /// An executor that runs its jobs on `eventLoop`.
    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Runs the job on the event loop.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
