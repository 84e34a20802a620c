import Logging
import NIOCore
import Raft
import RaftCore
import Synchronization

/// RPCs from this node to one peer in one group, over the transport's shared connection to
/// that peer. Appends and votes are started from the node loop and answered through their
/// callback (``sendsWithoutWaiting``); snapshot chunks travel on the peer's snapshot
/// connection.
public struct RaftNIOClient<Types: RaftWireTypes>: RaftNetworkClient {
    @usableFromInline let transport: RaftNIOTransport<Types>
    @usableFromInline let group: RaftGroupID
    @usableFromInline let target: NodeID
    @usableFromInline let main: PeerConnection
    @usableFromInline let address: Types.NodeAddress?

    @inlinable init(transport: RaftNIOTransport<Types>, group: RaftGroupID, target: NodeID, address: Types.NodeAddress?) {
        self.transport = transport
        self.group = group
        self.target = target
        self.address = address
        self.main = transport.connection(to: target, address: address, lane: .main)
    }

    @inlinable public var sendsWithoutWaiting: Bool { true }

    @inlinable var checksum: Bool { transport.configuration.checksums }

    /// Fails a request that cannot be framed (larger than the frame limit, a command the
    /// codec rejects): the peer never sees it.
    @usableFromInline func unsendable(_ kind: FrameKind, bytes: Int? = nil, error: (any Error)? = nil) -> RPCError {
        let reason: String
        if let bytes {
            reason = "a \(kind) request of \(bytes) bytes exceeds the maximum frame size of \(transport.configuration.maxFrameSize)"
        } else {
            reason = "a \(kind) request could not be encoded: \(error.map { "\($0)" } ?? "?")"
        }
        main.logger.error("request not sent", metadata: ["reason": "\(reason)"])
        return .remote(reason)
    }

    @inlinable public func sendAppendEntries(
        _ request: AppendEntriesRequest<Types>, timeout: Duration, onAnswer: @escaping @Sendable (Result<AppendEntriesResponse, RPCError>) -> Void
    ) {
        let correlation = main.nextCorrelation()
        let frame: ByteBuffer
        do {
            frame = try Frames.appendRequest(request, group: group, correlation: correlation, timeout: timeout, checksum: checksum)
        } catch {
            return onAnswer(.failure(unsendable(.appendRequest, error: error)))
        }
        guard frame.readableBytes <= transport.configuration.maxFrameSize else {
            return onAnswer(.failure(unsendable(.appendRequest, bytes: frame.readableBytes)))
        }
        main.send(frame, correlation: correlation, bulk: !request.entries.isEmpty, timeout: timeout, handler: .append(onAnswer))
    }

    @inlinable public func sendVote(_ request: VoteRequest, timeout: Duration, onAnswer: @escaping @Sendable (Result<VoteResponse, RPCError>) -> Void) {
        let correlation = main.nextCorrelation()
        let frame = Frames.voteRequest(request, group: group, correlation: correlation, timeout: timeout, checksum: checksum)
        main.send(frame, correlation: correlation, bulk: false, timeout: timeout, handler: .vote(onAnswer))
    }

    /// Sends an append and waits for its answer (the node uses `sendAppendEntries` instead).
    @inlinable public func appendEntries(_ request: AppendEntriesRequest<Types>, timeout: Duration) async throws(RPCError) -> AppendEntriesResponse {
        let result = await withUnsafeContinuation { continuation in
            sendAppendEntries(request, timeout: timeout) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    @inlinable public func vote(_ request: VoteRequest, timeout: Duration) async throws(RPCError) -> VoteResponse {
        let result = await withUnsafeContinuation { continuation in
            sendVote(request, timeout: timeout) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Sends one chunk on the peer's snapshot connection. A chunk whose connection dropped is
    /// sent once more on a fresh connection while time remains: chunks are idempotent (the
    /// receiver answers where it stands), so the transfer resumes instead of restarting.
    @inlinable public func installSnapshotChunk(_ chunk: SnapshotChunk<Types>, timeout: Duration) async throws(RPCError) -> SnapshotChunkResponse {
        let connection = transport.connection(to: target, address: address, lane: .snapshot)
        let deadline = ContinuousClock.now + timeout
        var attempt = 0
        while true {
            attempt += 1
            let correlation = connection.nextCorrelation()
            let frame: ByteBuffer
            do {
                frame = try Frames.snapshotChunk(chunk, group: group, correlation: correlation, timeout: timeout, checksum: checksum)
            } catch {
                throw unsendable(.snapshotChunkRequest, error: error)
            }
            guard frame.readableBytes <= transport.configuration.maxFrameSize else { throw unsendable(.snapshotChunkRequest, bytes: frame.readableBytes) }
            let remaining = deadline - ContinuousClock.now
            let result = await withUnsafeContinuation { continuation in
                connection.send(frame, correlation: correlation, bulk: true, timeout: max(remaining, .milliseconds(1)), handler: .snapshotChunk { continuation.resume(returning: $0) })
            }
            switch result {
            case .success(let response):
                return response
            case .failure(.network) where attempt == 1 && deadline - ContinuousClock.now > .milliseconds(50):
                connection.logger.info("snapshot connection dropped; resending the chunk", metadata: ["offset": "\(chunk.offset)"])
                continue
            case .failure(let error):
                throw error
            }
        }
    }

    /// Sends a timeout-now request; returns once the peer acknowledged it, or fails within
    /// `timeout`.
    @inlinable public func timeoutNow(_ request: TimeoutNowRequest, timeout: Duration) async throws(RPCError) {
        let correlation = main.nextCorrelation()
        let frame = Frames.timeoutNow(request, group: group, correlation: correlation, checksum: checksum)
        let result = await withUnsafeContinuation { continuation in
            main.send(frame, correlation: correlation, bulk: false, timeout: timeout, handler: .timeoutNow { continuation.resume(returning: $0) })
        }
        try result.get()
    }

    /// Asks the peer (believed to lead this group) for a linearizable read index.
    @inlinable public func readIndex(timeout: Duration) async throws(RPCError) -> LogID? {
        let correlation = main.nextCorrelation()
        let frame = Frames.readIndex(group: group, correlation: correlation, timeout: timeout, checksum: checksum)
        let result = await withUnsafeContinuation { continuation in
            main.send(frame, correlation: correlation, bulk: false, timeout: timeout, handler: .readIndex { continuation.resume(returning: $0) })
        }
        return try result.get()
    }
}
