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
        let request: IncomingRequest<Types>
        do {
            request = try Frames.decodeRequest(frame, as: Types.self)
        } catch {
            return close(context, .badFrame(error), refusal: Refusal(reason: .protocolViolation, detail: "\(error)"))
        }
        handle(request, group: frame.group, correlation: frame.correlation)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Answers produced while reading (refusals, immediate failures) go out with one flush.
        writer?.flush()
        context.fireChannelReadComplete()
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
        let reason = closeReason ?? .peerClosed
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

    private func handle(_ request: IncomingRequest<Types>, group: RaftGroupID, correlation: UInt64) {
        guard let writer, let peer else { return }
        let checksum = self.checksum
        func fail(_ reason: RefusalReason, _ detail: String) {
            shared.updateStatistics { $0.refusedRequests[reason, default: 0] += 1 }
            shared.instruments?.refusal(reason.rawValue, direction: "sent")
            writer.send(Frames.failure(.refused(Refusal(reason: reason, detail: detail)), group: group, correlation: correlation, checksum: checksum))
        }
        func impersonates(_ vote: Vote) -> Bool {
            guard vote.votedFor != peer else { return false }
            fail(.protocolViolation, "the request is from node \(vote.votedFor.map(String.init) ?? "none"), the connection from node \(peer)")
            return true
        }
        guard let node = shared.node(for: group) else {
            return fail(.unknownGroup, "node \(shared.nodeID) serves no group \(group)")
        }
        shared.updateStatistics {
            $0.requestsServed += 1
            $0.requestsByGroup[group, default: 0] += 1
        }
        switch request {
        case let .append(request, asked):
            if impersonates(request.vote) { return }
            node.appendEntries(request, timeout: min(asked, shared.configuration.maxRequestTimeout)) { result in
                switch result {
                case .success(let response): writer.send(Frames.appendResponse(response, group: group, correlation: correlation, checksum: checksum))
                case .failure(let error): writer.send(Frames.failure(RequestFailure(error), group: group, correlation: correlation, checksum: checksum))
                }
            }
        case let .vote(request, asked):
            if impersonates(request.vote) { return }
            let metrics = node.metrics
            if RaftEngine<Types>.answersRemoved(
                peer, senderLastLogID: request.lastLogID, committed: metrics.committedMembership, effective: metrics.membership,
                receiverLastLogID: metrics.lastLogID)
            {
                logger.warning("refusing a vote request from a removed node", metadata: ["group": "\(group)", "membership": "\(metrics.membership.config)"])
                return fail(.removed, "node \(peer) is not a member of group \(group) (membership \(metrics.membership.config))")
            }
            node.vote(request, timeout: min(asked, shared.configuration.maxRequestTimeout)) { result in
                switch result {
                case .success(let response): writer.send(Frames.voteResponse(response, group: group, correlation: correlation, checksum: checksum))
                case .failure(let error): writer.send(Frames.failure(RequestFailure(error), group: group, correlation: correlation, checksum: checksum))
                }
            }
        case .snapshotChunk(let chunk, _):
            if impersonates(chunk.vote) { return }
            Task {
                let response = await node.installSnapshotChunk(chunk)
                writer.send(Frames.snapshotChunkResponse(response, group: group, correlation: correlation, checksum: checksum))
            }
        case .timeoutNow(let request):
            if impersonates(request.vote) { return }
            node.timeoutNow(request)
            writer.send(Frames.timeoutNowResponse(group: group, correlation: correlation, checksum: checksum))
        case .readIndex:
            Task {
                let result: Result<LogID?, RaftError<Types.NodeAddress>>
                do throws(RaftError<Types.NodeAddress>) {
                    result = .success(try await node.readIndexForFollower())
                } catch {
                    result = .failure(error)
                }
                switch result {
                case .success(let readIndex): writer.send(Frames.readIndexResponse(readIndex, group: group, correlation: correlation, checksum: checksum))
                case .failure(let error): writer.send(Frames.failure(.remote("\(error)"), group: group, correlation: correlation, checksum: checksum))
                }
            }
        }
    }
}
