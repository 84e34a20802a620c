import Logging
import NIOCore
import Raft
import RaftCore

/// Where a request came from and where its answer goes.
@usableFromInline struct RequestOrigin: Sendable {
    /// The node that opened the connection (named by its handshake, and by its certificate
    /// with TLS).
    @usableFromInline let peer: NodeID
    @usableFromInline let group: RaftGroupID
    @usableFromInline let correlation: UInt64
    @usableFromInline let writer: ResponseWriter
    @usableFromInline let checksum: Bool

    @inlinable init(peer: NodeID, group: RaftGroupID, correlation: UInt64, writer: ResponseWriter, checksum: Bool) {
        self.peer = peer
        self.group = group
        self.correlation = correlation
        self.writer = writer
        self.checksum = checksum
    }

    @inlinable func answer(_ failure: RequestFailure) {
        writer.send(Frames.failure(failure, group: group, correlation: correlation, checksum: checksum))
    }
}

extension ServerShared {
    /// Decodes `frame` and hands the request to `node`; the node's answer is queued on the
    /// connection's writer. A request whose leader or candidate is not the connection's peer
    /// is refused: with TLS, a node cannot speak for another.
    @inlinable func dispatch(_ frame: Frame, to node: RaftNode<Types>, from origin: RequestOrigin) throws(FrameError) {
        let request = try Frames.decodeRequest(frame, as: Types.self)
        let (group, correlation, checksum, writer) = (origin.group, origin.correlation, origin.checksum, origin.writer)
        func impersonates(_ vote: Vote) -> Bool {
            guard vote.votedFor != origin.peer else { return false }
            refuse(origin, .protocolViolation, "the request is from node \(vote.votedFor.map(String.init) ?? "none"), the connection from node \(origin.peer)")
            return true
        }
        served(group: group)
        switch request {
        case let .append(request, asked):
            if impersonates(request.vote) { return }
            node.appendEntries(request, timeout: min(asked, configuration.maxRequestTimeout)) { result in
                switch result {
                case .success(let response): writer.send(Frames.appendResponse(response, group: group, correlation: correlation, checksum: checksum))
                case .failure(let error): writer.send(Frames.failure(RequestFailure(error), group: group, correlation: correlation, checksum: checksum))
                }
            }
        case let .vote(request, asked):
            if impersonates(request.vote) { return }
            let metrics = node.metrics
            if RaftEngine<Types>.answersRemoved(
                origin.peer, senderLastLogID: request.lastLogID, committed: metrics.committedMembership, effective: metrics.membership,
                receiverLastLogID: metrics.lastLogID)
            {
                logger.warning(
                    "refusing a vote request from a removed node",
                    metadata: ["raft-node": "\(nodeID)", "peer": "\(origin.peer)", "group": "\(group)", "membership": "\(metrics.membership.config)"])
                return refuse(origin, .removed, "node \(origin.peer) is not a member of group \(group) (membership \(metrics.membership.config))")
            }
            node.vote(request, timeout: min(asked, configuration.maxRequestTimeout)) { result in
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
