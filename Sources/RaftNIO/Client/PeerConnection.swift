import CoreMetrics
import DequeModule
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Raft
import RaftCore
import Synchronization

/// What every connection of one node's transport shares.
final class ClientContext: Sendable {
    let localNode: NodeID
    let configuration: RaftNIOConfiguration
    let group: any EventLoopGroup
    let sslContext: NIOSSLContext?
    let logger: Logger
    let instruments: TransportInstruments?

    init(localNode: NodeID, configuration: RaftNIOConfiguration, group: any EventLoopGroup, sslContext: NIOSSLContext?, logger: Logger) {
        self.localNode = localNode
        self.configuration = configuration
        self.group = group
        self.sslContext = sslContext
        self.logger = logger
        self.instruments = TransportInstruments.make(nodeID: localNode, side: "client")
    }
}

/// One connection from this node to one peer, for one lane, reused by every group: requests
/// are pipelined (any number in flight, matched to their responses by correlation id) and
/// written with one flush per batch.
///
/// Callers on any thread queue encoded requests under a lock; the first request of a batch
/// schedules one task on the connection's event loop, which writes everything queued and
/// flushes once. The queue is bounded in messages and bytes: when it is full, or while the
/// peer is unreachable (between connection attempts), a request fails at once, so the node
/// loop never waits on the network. Control requests (heartbeats, votes, timeout-now,
/// read-index) are written before bulk ones (appends with entries), and bulk requests wait
/// in the queue while the socket's buffer is full, so a heartbeat never queues behind
/// megabytes of entries on this side.
///
/// State the event loop owns (the channel, calls in flight, timers) is touched only on it.
@usableFromInline final class PeerConnection: @unchecked Sendable {
    let peer: NodeID
    let lane: ConnectionLane
    let eventLoop: any EventLoop
    let context: ClientContext
    private let queue = Mutex(Queue())
    private let correlations = Atomic<UInt64>(1)
    private let queueDepth: Recorder?

    struct Outbound {
        var frame: ByteBuffer
        var correlation: UInt64
        var deadline: NIODeadline
        var handler: ResponseHandler
    }

    enum Phase {
        case idle
        case connecting
        case ready
        /// Dialling failed; calls fail with `error` until `until`, then the next call dials.
        case backingOff(until: NIODeadline, error: RPCError)
        case closed
    }

    struct Queue {
        var control: Deque<Outbound> = []
        var bulk: Deque<Outbound> = []
        var bytes = 0
        var phase: Phase = .idle
        var drainScheduled = false
        var failedAttempts = 0
        var address: PeerAddress?
        var everConnected = false
        var count: Int { control.count + bulk.count }
    }

    // Owned by the event loop.
    private var channel: (any Channel)?
    private var handshaken = false
    private var pending: [UInt64: (handler: ResponseHandler, deadline: NIODeadline)] = [:]
    private var deadlines: Deque<(deadline: NIODeadline, correlation: UInt64)> = []
    private var timer: Scheduled<Void>?
    private var queueSweep: RepeatedTask?
    private var handshakeTimer: Scheduled<Void>?
    /// Why the current connection attempt or connection ended, if this side knows better
    /// than "closed".
    private var closeReason: ConnectionCloseReason?

    init(peer: NodeID, lane: ConnectionLane, address: PeerAddress?, context: ClientContext) {
        self.peer = peer
        self.lane = lane
        self.context = context
        self.eventLoop = context.group.next()
        self.queueDepth = context.instruments?.queueDepth(peer: peer, lane: lane.description)
        queue.withLock { $0.address = address }
    }

    @usableFromInline var logger: Logger {
        var logger = context.logger
        logger[metadataKey: "raft-node"] = "\(context.localNode)"
        logger[metadataKey: "peer"] = "\(peer)"
        logger[metadataKey: "lane"] = "\(lane)"
        return logger
    }

    func update(address: PeerAddress) {
        queue.withLock { $0.address = address }
    }

    var currentAddress: PeerAddress? { queue.withLock { $0.address } }

    /// A correlation id for a request about to be encoded.
    @usableFromInline func nextCorrelation() -> UInt64 {
        correlations.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    // MARK: Sending (any thread)

    /// Queues an encoded request; `handler` gets its answer within `timeout`.
    @usableFromInline func send(_ frame: ByteBuffer, correlation: UInt64, bulk: Bool, timeout: Duration, handler: ResponseHandler) {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        enum Action { case none, drain, connect }
        var action = Action.none
        var failure: RPCError?
        let limits = (messages: context.configuration.maxQueuedMessages, bytes: context.configuration.maxQueuedBytes)
        let depth: Int = queue.withLock { queue in
            switch queue.phase {
            case .closed:
                failure = .unreachable("the transport to node \(peer) is shut down")
                return queue.count
            case let .backingOff(until, error) where NIODeadline.now() < until:
                failure = error
                return queue.count
            default:
                break
            }
            if queue.count >= limits.messages || queue.bytes + frame.readableBytes > limits.bytes {
                failure = .unreachable("the queue to node \(peer) is full (\(queue.count) requests, \(queue.bytes) bytes)")
                return queue.count
            }
            let item = Outbound(frame: frame, correlation: correlation, deadline: deadline, handler: handler)
            if bulk { queue.bulk.append(item) } else { queue.control.append(item) }
            queue.bytes += frame.readableBytes
            switch queue.phase {
            case .ready:
                if !queue.drainScheduled {
                    queue.drainScheduled = true
                    action = .drain
                }
            case .connecting:
                break
            case .idle, .backingOff, .closed:
                queue.phase = .connecting
                action = .connect
            }
            return queue.count
        }
        queueDepth?.record(depth)
        if let failure { return handler.fail(failure) }
        switch action {
        case .none: break
        case .drain: eventLoop.execute { self.drain() }
        case .connect: eventLoop.execute { self.connect() }
        }
    }

    /// Closes the connection and fails everything waiting; later calls fail at once.
    func shutdown() -> EventLoopFuture<Void> {
        eventLoop.submit {
            let queued = self.queue.withLock { queue -> [Outbound] in
                queue.phase = .closed
                return self.takeAllQueued(&queue)
            }
            for item in queued { item.handler.fail(.unreachable("the transport is shutting down")) }
            self.closeReason = .shutdown
            self.failPending(.unreachable("the transport is shutting down"))
            self.channel?.close(promise: nil)
        }
    }

    private func takeAllQueued(_ queue: inout Queue) -> [Outbound] {
        var items = Array(queue.control)
        items.append(contentsOf: queue.bulk)
        queue.control.removeAll()
        queue.bulk.removeAll()
        queue.bytes = 0
        return items
    }

    // MARK: Event loop

    private func connect() {
        eventLoop.assertInEventLoop()
        let address = queue.withLock { $0.address }
        guard let address else {
            return connectFailed(.unreachable("no address known for node \(peer)"), log: "no address known")
        }
        closeReason = nil
        handshaken = false
        startQueueSweep()
        let context = self.context
        let decoder = FrameDecoder(maxFrameSize: context.configuration.maxFrameSize)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(context.configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext = context.sslContext {
                        let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: nil)
                        try channel.pipeline.syncOperations.addHandler(tls)
                    }
                    try channel.pipeline.syncOperations.addHandlers(ByteToMessageHandler(decoder), ClientHandler(connection: self))
                }
            }
        bootstrap.connect(host: address.host, port: address.port).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                self.channel = channel
                self.handshakeTimer = self.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(context.configuration.handshakeTimeout)) {
                    guard !self.handshaken, let channel = self.channel else { return }
                    self.closeReason = .handshakeTimeout
                    channel.close(promise: nil)
                }
                self.sendHello(on: channel)
            case .failure(let error):
                self.connectFailed(.unreachable("cannot connect to node \(self.peer) at \(address): \(error)"), log: "\(error)")
            }
        }
    }

    private func sendHello(on channel: any Channel) {
        let hello = Hello(
            versions: FrameLayout.supportedVersions, clusterID: context.configuration.clusterID,
            sender: context.localNode, target: peer, lane: lane)
        let frame = Frames.hello(hello, checksum: context.configuration.checksums)
        countOut(frame)
        channel.writeAndFlush(frame, promise: nil)
    }

    /// A dial or handshake failed: back off, and fail what is queued.
    private func connectFailed(_ error: RPCError, log detail: String) {
        eventLoop.assertInEventLoop()
        stopQueueSweep()
        let configuration = context.configuration
        let (queued, attempts, wasConnected) = queue.withLock { queue -> ([Outbound], Int, Bool) in
            queue.failedAttempts += 1
            if case .closed = queue.phase { return (takeAllQueued(&queue), queue.failedAttempts, queue.everConnected) }
            let exponent = min(queue.failedAttempts - 1, 16)
            let base = min(configuration.maxReconnectDelay, configuration.minReconnectDelay * (1 << exponent))
            // Up to half of the delay is random, so peers that failed together retry apart.
            let delay = base - base * Double.random(in: 0..<0.5)
            queue.phase = .backingOff(until: .now() + TimeAmount(delay), error: error)
            return (takeAllQueued(&queue), queue.failedAttempts, queue.everConnected)
        }
        context.instruments?.connectFailures.increment()
        if attempts == 1 {
            logger.warning(wasConnected ? "lost node; cannot reconnect" : "cannot connect", metadata: ["error": "\(error)", "detail": "\(detail)"])
        } else {
            logger.debug("connection attempt failed", metadata: ["attempt": "\(attempts)", "error": "\(error)"])
        }
        for item in queued { item.handler.fail(error) }
    }

    /// Called by the handler with each frame of this connection.
    func received(_ frame: Frame, on channel: any Channel) {
        countIn(frame)
        guard handshaken else { return receivedDuringHandshake(frame, on: channel) }
        guard frame.kind.isResponse else {
            closeReason = .protocolViolation("the server sent a \(frame.kind) frame")
            return channel.close(promise: nil)
        }
        let response: IncomingResponse
        do {
            response = try Frames.decodeResponse(frame)
        } catch {
            closeReason = .badFrame(error)
            logger.warning("closing connection: bad frame from the server", metadata: ["error": "\(error)"])
            return channel.close(promise: nil)
        }
        // A response after its call timed out finds nothing: the call already failed.
        guard let call = pending.removeValue(forKey: frame.correlation) else { return }
        if case .failure(.refused(let refusal)) = response {
            logger.info("request refused", metadata: ["reason": "\(refusal.reason)", "detail": "\(refusal.detail)"])
            context.instruments?.refusal(refusal.reason.rawValue, direction: "received")
        }
        call.handler.complete(response)
    }

    private func receivedDuringHandshake(_ frame: Frame, on channel: any Channel) {
        var reader = BodyReader(frame)
        switch frame.kind {
        case .helloAccepted:
            do {
                let accepted = try HelloAccepted.decode(&reader)
                guard accepted.server == peer else {
                    return refusedLocally(.wrongNode, "dialled node \(peer) but node \(accepted.server) answered", on: channel)
                }
                guard FrameLayout.supportedVersions.contains(accepted.version) else {
                    return refusedLocally(.unsupportedVersion, "the server chose version \(accepted.version)", on: channel)
                }
                if let tls = context.configuration.tls {
                    let certificate = try? channel.pipeline.syncOperations.handler(type: NIOSSLHandler.self).peerCertificate
                    let identity = certificate.flatMap(tls.identity)
                    guard identity == peer else {
                        return refusedLocally(.identityMismatch, "the server's certificate names \(identity.map { "node \($0)" } ?? "no node"), not node \(peer)", on: channel)
                    }
                }
            } catch {
                closeReason = .badFrame(error)
                return channel.close(promise: nil)
            }
            established(on: channel)
        case .refusal:
            guard let refusal = try? Refusal.decode(&reader) else {
                closeReason = .protocolViolation("malformed refusal")
                return channel.close(promise: nil)
            }
            logger.error("the peer refused the connection", metadata: ["reason": "\(refusal.reason)", "detail": "\(refusal.detail)"])
            context.instruments?.refusal(refusal.reason.rawValue, direction: "received")
            closeReason = .refused(refusal.reason, refusal.detail)
            channel.close(promise: nil)
        default:
            closeReason = .protocolViolation("the server sent \(frame.kind) before accepting the handshake")
            channel.close(promise: nil)
        }
    }

    private func refusedLocally(_ reason: RefusalReason, _ detail: String, on channel: any Channel) {
        logger.error("refusing the server", metadata: ["reason": "\(reason)", "detail": "\(detail)"])
        context.instruments?.refusal(reason.rawValue, direction: "sent")
        closeReason = .refused(reason, detail)
        channel.close(promise: nil)
    }

    private func established(on channel: any Channel) {
        handshaken = true
        handshakeTimer?.cancel()
        handshakeTimer = nil
        let reconnected = queue.withLock { queue -> Bool in
            let again = queue.everConnected
            queue.everConnected = true
            queue.failedAttempts = 0
            queue.phase = .ready
            queue.drainScheduled = true
            return again
        }
        if reconnected { context.instruments?.reconnects.increment() }
        logger.info("connected", metadata: ["address": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
        drain()
    }

    /// Writes what is queued (bulk only while the socket takes more), then flushes once.
    private func drain() {
        eventLoop.assertInEventLoop()
        guard handshaken, let channel else {
            queue.withLock { $0.drainScheduled = false }
            return
        }
        let writable = channel.isWritable
        let (batch, depth, bulkLeft) = queue.withLock { queue -> ([Outbound], Int, Bool) in
            queue.drainScheduled = false
            var batch = Array(queue.control)
            queue.control.removeAll(keepingCapacity: true)
            if writable {
                batch.append(contentsOf: queue.bulk)
                queue.bulk.removeAll(keepingCapacity: true)
            }
            for item in batch { queue.bytes -= item.frame.readableBytes }
            return (batch, queue.count, !queue.bulk.isEmpty)
        }
        if bulkLeft { startQueueSweep() } else { stopQueueSweep() }
        queueDepth?.record(depth)
        guard !batch.isEmpty else { return }
        for item in batch {
            pending[item.correlation] = (item.handler, item.deadline)
            addDeadline(item.deadline, item.correlation)
            countOut(item.frame)
            channel.write(item.frame, promise: nil)
        }
        channel.flush()
        armTimer()
    }

    func writabilityChanged(_ channel: any Channel) {
        if channel.isWritable { drain() }
    }

    /// The channel closed: fail calls in flight (their outcome is unknown to this side), then
    /// dial again at once if requests wait, or at the next call.
    func closed(_ channel: any Channel) {
        eventLoop.assertInEventLoop()
        guard self.channel === channel else { return }
        self.channel = nil
        handshakeTimer?.cancel()
        handshakeTimer = nil
        let reason = closeReason ?? .peerClosed
        closeReason = nil
        context.instruments?.closed(reason.category, side: "client")
        guard handshaken else {
            let error: RPCError
            switch reason {
            case let .refused(refusal, detail): error = .refused(refusal, detail)
            case .tlsFailure(let detail): error = .refused(.tlsHandshakeFailed, detail)
            case .shutdown: error = .unreachable("the transport is shutting down")
            default: error = .unreachable("node \(peer) closed the connection during the handshake (\(reason))")
            }
            return connectFailed(error, log: "\(reason)")
        }
        handshaken = false
        logger.info("disconnected", metadata: ["reason": "\(reason)"])
        failPending(.network("the connection to node \(peer) closed (\(reason)) before the answer"))
        let reconnect = queue.withLock { queue -> Bool in
            guard case .ready = queue.phase else { return false }
            queue.drainScheduled = false
            if queue.count > 0 {
                queue.phase = .connecting
                return true
            }
            queue.phase = .idle
            return false
        }
        if reconnect { connect() }
    }

    func failed(_ error: any Error, on channel: any Channel) {
        if closeReason == nil {
            switch error {
            case let error as FrameError: closeReason = .badFrame(error)
            case let error as NIOSSLError: closeReason = .tlsFailure("\(error)")
            case let error as BoringSSLError: closeReason = .tlsFailure("\(error)")
            default: closeReason = .ioError("\(error)")
            }
        }
        channel.close(promise: nil)
    }

    private func failPending(_ error: RPCError) {
        let calls = pending
        pending = [:]
        deadlines.removeAll()
        timer?.cancel()
        timer = nil
        for (_, call) in calls { call.handler.fail(error) }
    }

    // MARK: Timeouts

    private func addDeadline(_ deadline: NIODeadline, _ correlation: UInt64) {
        // Timeouts are mostly equal, so deadlines arrive nearly sorted: insert from the back.
        var position = deadlines.endIndex
        while position > deadlines.startIndex, deadlines[position - 1].deadline > deadline { position -= 1 }
        deadlines.insert((deadline, correlation), at: position)
    }

    private func armTimer() {
        guard timer == nil, let first = deadlines.first else { return }
        timer = eventLoop.assumeIsolated().scheduleTask(deadline: first.deadline) { self.expire() }
    }

    private func expire() {
        timer = nil
        let now = NIODeadline.now()
        while let first = deadlines.first, first.deadline <= now {
            deadlines.removeFirst()
            pending.removeValue(forKey: first.correlation)?.handler.fail(.timeout)
        }
        sweepQueue(now: now)
        armTimer()
    }

    /// Fails queued requests whose deadline passed (while connecting, or while bulk requests
    /// wait for the socket).
    private func sweepQueue(now: NIODeadline) {
        let expired = queue.withLock { queue -> [Outbound] in
            var expired: [Outbound] = []
            queue.control.removeAll { item in
                guard item.deadline <= now else { return false }
                expired.append(item)
                return true
            }
            queue.bulk.removeAll { item in
                guard item.deadline <= now else { return false }
                expired.append(item)
                return true
            }
            for item in expired { queue.bytes -= item.frame.readableBytes }
            return expired
        }
        for item in expired { item.handler.fail(.timeout) }
    }

    private func startQueueSweep() {
        guard queueSweep == nil else { return }
        queueSweep = eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(20), delay: .milliseconds(20)) { [self] _ in
            sweepQueue(now: .now())
        }
    }

    private func stopQueueSweep() {
        queueSweep?.cancel()
        queueSweep = nil
    }

    // MARK: Counting

    private func countOut(_ frame: ByteBuffer) {
        guard let instruments = context.instruments else { return }
        instruments.framesOut.increment()
        instruments.bytesOut.increment(by: frame.readableBytes)
    }

    private func countIn(_ frame: Frame) {
        guard let instruments = context.instruments else { return }
        instruments.framesIn.increment()
        instruments.bytesIn.increment(by: frame.body.readableBytes + FrameLayout.headerSize)
    }
}

/// The pipeline end of a client connection: hands frames and channel events to the
/// connection (all on its event loop).
final class ClientHandler: ChannelInboundHandler {
    typealias InboundIn = Frame

    let connection: PeerConnection

    init(connection: PeerConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(Self.unwrapInboundIn(data), on: context.channel)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection.writabilityChanged(context.channel)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.closed(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection.failed(error, on: context.channel)
    }
}
