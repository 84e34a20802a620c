/// Why an RPC to a peer failed. The runtime backs off from unreachable peers.
public enum RPCError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The peer could not be reached (connection refused, no route): back off.
    case unreachable(String)
    /// No answer within the timeout; the request may or may not have been processed.
    case timeout
    /// The peer answered with an error (it is shutting down, belongs to another cluster...).
    case remote(String)
    /// A transport failure other than the above (a dropped connection mid-request).
    case network(String)
    /// The peer refused the connection or the request for a reason it named: it belongs to
    /// another cluster, speaks another protocol version, considers the sender removed... The
    /// detail is human-readable.
    case refused(RefusalReason, String)

    @inlinable public var description: String {
        switch self {
        case .unreachable(let reason): return "unreachable: \(reason)"
        case .timeout: return "timeout"
        case .remote(let reason): return "remote error: \(reason)"
        case .network(let reason): return "network error: \(reason)"
        case let .refused(reason, detail): return detail.isEmpty ? "refused: \(reason)" : "refused: \(reason): \(detail)"
        }
    }
}

/// Why a peer refused a connection or a request (``RPCError/refused(_:_:)``).
public enum RefusalReason: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The peer belongs to another cluster (its cluster id differs).
    case wrongCluster
    /// No protocol version is supported by both sides.
    case unsupportedVersion
    /// The peer is not the node the sender meant to reach (its node id differs).
    case wrongNode
    /// The peer's committed and effective memberships no longer include the sender: the
    /// sender was removed. A node told so holds back its campaigns (see the engine's
    /// `peerReportedRemoval(by:)`).
    case removed
    /// The peer serves no Raft group with the request's group id.
    case unknownGroup
    /// The identity in the sender's TLS certificate is not the node id it claims.
    case identityMismatch
    /// The peer accepts only TLS connections.
    case tlsRequired
    /// The sender broke the protocol (a request before the handshake, a malformed frame).
    case protocolViolation
    /// The peer is shutting down, or the group's node there stopped.
    case shuttingDown
    /// The TLS handshake failed: a certificate that is untrusted, expired or missing, or a
    /// peer that does not speak TLS.
    case tlsHandshakeFailed

    @inlinable public var description: String { rawValue }
}

/// One piece of a snapshot being streamed to a follower. Chunks of one snapshot share its
/// `meta`; the first has offset 0 and starts a transfer; the one with `isLast` completes it
/// (no empty closing chunk is needed: field lesson 9).
public struct SnapshotChunk<Types: RaftTypeConfig>: Sendable, Codable {
    /// The sending leader's committed vote.
    public var vote: Vote
    /// The snapshot being transferred.
    public var meta: SnapshotMeta<Types>
    /// The position of `data` within the snapshot's bytes.
    public var offset: Int
    /// A piece of the snapshot's bytes.
    public var data: [UInt8]
    /// Whether this chunk ends the snapshot.
    public var isLast: Bool
    /// The engine's id of the whole transfer (the install request).
    public var rpcID: UInt64

    /// A chunk.
    @inlinable public init(vote: Vote, meta: SnapshotMeta<Types>, offset: Int, data: [UInt8], isLast: Bool, rpcID: UInt64) {
        self.vote = vote
        self.meta = meta
        self.offset = offset
        self.data = data
        self.isLast = isLast
        self.rpcID = rpcID
    }
}

/// The answer to a snapshot chunk.
public enum SnapshotChunkResponse: Sendable, Codable, Hashable {
    /// The chunk was stored; the receiver expects `nextOffset` next.
    case accepted(nextOffset: Int)
    /// The last chunk was received and the snapshot installed.
    case installed(InstallSnapshotResponse)
    /// The receiver has a greater vote.
    case rejected(vote: Vote)
    /// The chunk did not continue the transfer the receiver knows (it restarted, or a chunk
    /// was lost): restart from `expectedOffset` (0 = from the beginning).
    case outOfOrder(expectedOffset: Int)
}

/// Makes the client used to reach each peer. Implemented by transports (`RaftNIO`, the
/// in-process router of `RaftTesting`, or an application's gRPC/HTTP layer).
public protocol RaftNetworkFactory<Types>: Sendable {
    /// The application's types.
    associatedtype Types: RaftTypeConfig
    /// The client this factory makes for each peer.
    associatedtype Client: RaftNetworkClient where Client.Types == Types

    /// A client for `target`, reachable at `address` (from the membership, nil if unknown).
    /// Called once per peer; the runtime calls a client's methods from one task at a time per
    /// kind of traffic.
    func makeClient(for target: NodeID, address: Types.NodeAddress?) -> Client
}

/// RPCs to one peer. Every call must return within `timeout` (throwing ``RPCError/timeout``)
/// so a hung peer never blocks the node (field lesson 24).
public protocol RaftNetworkClient<Types>: Sendable {
    /// The application's types.
    associatedtype Types: RaftTypeConfig

    /// Whether this client starts append and vote RPCs itself, without the caller waiting:
    /// the runtime then sends them straight from the node loop with ``sendAppendEntries(_:timeout:onAnswer:)``
    /// and ``sendVote(_:timeout:onAnswer:)``, saving a task per peer and two task hand-offs
    /// per round trip. Otherwise (the default) it calls the async methods from a task of its
    /// own per peer and kind of traffic, one request at a time.
    var sendsWithoutWaiting: Bool { get }

    /// Starts an append-entries RPC and returns at once. `onAnswer` must be called exactly
    /// once, within `timeout`, on any thread, and should return quickly (it queues the answer
    /// for the node). Requests to one peer should be delivered in the order they were sent: the
    /// engine tolerates reordering, but each reordered append costs a rejection and a resend.
    func sendAppendEntries(
        _ request: AppendEntriesRequest<Types>, timeout: Duration, onAnswer: @escaping @Sendable (Result<AppendEntriesResponse, RPCError>) -> Void)
    /// Starts a vote or pre-vote RPC and returns at once; `onAnswer` as for appends.
    func sendVote(_ request: VoteRequest, timeout: Duration, onAnswer: @escaping @Sendable (Result<VoteResponse, RPCError>) -> Void)

    /// An append-entries (or heartbeat) request, answered by the peer within `timeout`.
    func appendEntries(_ request: AppendEntriesRequest<Types>, timeout: Duration) async throws(RPCError) -> AppendEntriesResponse
    /// A vote or pre-vote request.
    func vote(_ request: VoteRequest, timeout: Duration) async throws(RPCError) -> VoteResponse
    /// One chunk of a snapshot; the peer answers with the offset it expects next, or that the
    /// snapshot is installed.
    func installSnapshotChunk(_ chunk: SnapshotChunk<Types>, timeout: Duration) async throws(RPCError) -> SnapshotChunkResponse
    /// Asks the peer to campaign at once (a leadership transfer), within `timeout`.
    func timeoutNow(_ request: TimeoutNowRequest, timeout: Duration) async throws(RPCError)
    /// Asks the peer (believed to lead) for a linearizable read index, for follower reads.
    func readIndex(timeout: Duration) async throws(RPCError) -> LogID?
}

extension RaftNetworkClient {
    /// Clients wait for each answer unless they say otherwise.
    @inlinable public var sendsWithoutWaiting: Bool { false }

    /// Runs ``appendEntries(_:timeout:)`` on a task of its own (so requests may overtake one
    /// another; the runtime uses its ordered per-peer lanes instead unless the client says
    /// it sends without waiting).
    @inlinable public func sendAppendEntries(
        _ request: AppendEntriesRequest<Types>, timeout: Duration, onAnswer: @escaping @Sendable (Result<AppendEntriesResponse, RPCError>) -> Void
    ) {
        Task {
            do throws(RPCError) { onAnswer(.success(try await appendEntries(request, timeout: timeout))) } catch { onAnswer(.failure(error)) }
        }
    }

    /// Runs ``vote(_:timeout:)`` on a task of its own.
    @inlinable public func sendVote(_ request: VoteRequest, timeout: Duration, onAnswer: @escaping @Sendable (Result<VoteResponse, RPCError>) -> Void) {
        Task {
            do throws(RPCError) { onAnswer(.success(try await vote(request, timeout: timeout))) } catch { onAnswer(.failure(error)) }
        }
    }

    /// Follower reads are unsupported unless the transport implements them.
    @inlinable public func readIndex(timeout: Duration) async throws(RPCError) -> LogID? {
        throw .remote("read index forwarding is not supported by this transport")
    }
}
