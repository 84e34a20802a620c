import Logging
import NIOCore
import NIOSSL
import Raft
import RaftCore

/// One accepted connection: checks the handshake, then decodes each request, hands it to
/// the node serving the frame's group, and queues the node's answer on the connection's
/// ``ResponseWriter``. Bad input closes this connection (with a typed reason, logged and
/// counted), never the server.
final class ServerConnectionHandler<Types: RaftWireTypes>: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = ByteBuffer

    let shared: ServerShared<Types>
    private var writer: ResponseWriter?
    private var peer: NodeID?
    private var established = false
    private var closeReason: ConnectionCloseReason?
    private var handshakeTimer: Scheduled<Void>?
    private var remoteAddress: String?
    private var logger: Logger

    init(shared: ServerShared<Types>) {
        self.shared = shared
        self.logger = shared.logger
        logger[metadataKey: "raft-node"] = "\(shared.nodeID)"
    }

    var checksum: Bool { shared.configuration.checksums }

    func handlerAdded(context: ChannelHandlerContext) {
        writer = ResponseWriter(channel: context.channel, instruments: shared.instruments)
        remoteAddress = context.channel.remoteAddress.map { "\($0)" }
        logger[metadataKey: "remote"] = "\(remoteAddress ?? "?")"
        shared.opened(context.channel)
        let channel = context.channel
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(shared.configuration.handshakeTimeout)) { [self] in
            guard !established else { return }
            closeReason = .handshakeTimeout
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        if let instruments = shared.instruments {
            instruments.framesIn.increment()
            instruments.bytesIn.increment(by: frame.body.readableBytes + FrameLayout.headerSize)
        }
        guard closeReason == nil else { return }
        guard established else { return handshake(frame, context: context) }
        guard frame.kind.isRequest else {
            return close(context, .protocolViolation("a client sent a \(frame.kind) frame"), refusal: Refusal(reason: .protocolViolation, detail: "unexpected \(frame.kind) frame"))
        }
        if let reason = handle(frame), case .badFrame(let error) = reason {
            close(context, reason, refusal: Refusal(reason: .protocolViolation, detail: "\(error)"))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Answers produced while reading (refusals, immediate failures) go out with one flush.
        writer?.flush()
        context.fireChannelReadComplete()
    }

    /// A peer that does not read its answers stops being read: its requests wait in its own
    /// bounded queue instead of this server's memory.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Turning auto-read back on reads again by itself.
        context.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenComplete { _ in }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard closeReason == nil else { return }
        switch error {
        case let error as FrameError:
            let reason: RefusalReason = if case .unsupportedVersion = error { .unsupportedVersion } else { .protocolViolation }
            close(context, .badFrame(error), refusal: Refusal(reason: reason, detail: "\(error)"))
        case is PlaintextPeer:
            close(context, .refused(.tlsRequired, "plaintext peer"), refusal: nil)
        case let error as NIOSSLError:
            close(context, .tlsFailure("\(error)"), refusal: nil)
        case let error as BoringSSLError:
            close(context, .tlsFailure("\(error)"), refusal: nil)
        default:
            close(context, .ioError("\(error)"), refusal: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        writer?.close()
        let reason = closeReason ?? (shared.isShuttingDown ? .shutdown : .peerClosed)
        let closure = ConnectionClosure(peer: peer, remoteAddress: remoteAddress, reason: reason)
        shared.closed(context.channel, closure)
        switch reason {
        case .peerClosed, .shutdown:
            if established { logger.info("peer disconnected", metadata: ["peer": "\(peer.map(String.init) ?? "?")", "reason": "\(reason)"]) }
        default:
            logger.warning("closed connection", metadata: ["peer": "\(peer.map(String.init) ?? "?")", "reason": "\(reason)"])
        }
        context.fireChannelInactive()
    }

    /// Closes with `reason`, after sending `refusal` if given.
    private func close(_ context: ChannelHandlerContext, _ reason: ConnectionCloseReason, refusal: Refusal?) {
        guard closeReason == nil else { return }
        closeReason = reason
        if let refusal {
            shared.instruments?.refusal(refusal.reason.rawValue, direction: "sent")
            writer?.flush()
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(Frames.refusal(refusal, checksum: checksum))).assumeIsolated().whenComplete { _ in
                channel.close(promise: nil)
            }
        } else {
            context.close(promise: nil)
        }
    }

    // MARK: Handshake

    private func handshake(_ frame: Frame, context: ChannelHandlerContext) {
        guard frame.kind == .hello else {
            return refuse(context, .protocolViolation, "expected a hello frame first, got \(frame.kind)")
        }
        var reader = BodyReader(frame)
        let hello: Hello
        do {
            hello = try Hello.decode(&reader)
        } catch {
            return close(context, .badFrame(error), refusal: Refusal(reason: .protocolViolation, detail: "\(error)"))
        }
        peer = hello.sender
        let supported = FrameLayout.supportedVersions
        guard hello.versions.overlaps(supported) else {
            return refuse(context, .unsupportedVersion, "the peer speaks versions \(hello.versions), this node \(supported)")
        }
        guard hello.clusterID == shared.configuration.clusterID else {
            return refuse(context, .wrongCluster, "this node belongs to cluster \"\(shared.configuration.clusterID)\", the peer to \"\(hello.clusterID)\"")
        }
        guard hello.target == shared.nodeID else {
            return refuse(context, .wrongNode, "this is node \(shared.nodeID), not node \(hello.target)")
        }
        if let tls = shared.configuration.tls {
            let certificate = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self).peerCertificate
            let identity = certificate.flatMap(tls.identity)
            guard identity == hello.sender else {
                return refuse(context, .identityMismatch, "the peer claims node \(hello.sender), its certificate names \(identity.map { "node \($0)" } ?? "no node")")
            }
        }
        let version = min(hello.versions.upperBound, supported.upperBound)
        established = true
        handshakeTimer?.cancel()
        handshakeTimer = nil
        logger[metadataKey: "peer"] = "\(hello.sender)"
        shared.updateStatistics {
            $0.establishedConnections += 1
            $0.establishedByPeer[hello.sender, default: 0] += 1
            if hello.lane == .snapshot { $0.establishedSnapshotConnections += 1 }
        }
        logger.info("peer connected", metadata: ["lane": "\(hello.lane)"])
        writer?.send(Frames.helloAccepted(HelloAccepted(version: version, server: shared.nodeID), checksum: checksum))
    }

    private func refuse(_ context: ChannelHandlerContext, _ reason: RefusalReason, _ detail: String) {
        logger.warning("refusing connection", metadata: ["reason": "\(reason)", "detail": "\(detail)"])
        close(context, .refused(reason, detail), refusal: Refusal(reason: reason, detail: detail))
    }

    // MARK: Requests

    private func handle(_ frame: Frame) -> ConnectionCloseReason? {
        guard let writer, let peer else { return nil }
        let request = RequestOrigin(peer: peer, group: frame.group, correlation: frame.correlation, writer: writer, checksum: checksum)
        guard let node = shared.node(for: frame.group) else {
            shared.refuse(request, .unknownGroup, "node \(shared.nodeID) serves no group \(frame.group)")
            return nil
        }
        do {
            try shared.serve(shared, frame, node, request)
        } catch {
            return .badFrame(error)
        }
        return nil
    }
}
