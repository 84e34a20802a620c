import DequeModule

/// Something the node loop must handle. Everything that changes a node goes through its
/// mailbox as one of these, so the engine is only ever touched by the loop.
@usableFromInline enum NodeEvent<Types: RaftTypeConfig>: Sendable {
    @usableFromInline typealias Failure = RaftError<Types.NodeAddress>
    @usableFromInline typealias WriteResult = Result<Types.Response, Failure>

    // Client API
    case write(Types.Command, CallTag, UnsafeContinuation<WriteResult, Never>)
    case writeMany([Types.Command], CallTag, UnsafeContinuation<[WriteResult], Never>)
    case read(ReadPolicy, CallTag, UnsafeContinuation<Result<LogID?, Failure>, Never>)
    case changeMembership(MembershipChange<Types>, retain: Bool, expected: LogID??, CallTag, UnsafeContinuation<Result<LogID, Failure>, Never>)
    case transferLeader(NodeID, CallTag, UnsafeContinuation<Result<NodeID, Failure>, Never>)
    case initialize(Membership<Types>, UnsafeContinuation<Result<Void, Failure>, Never>)
    /// The task that made call `callID` was cancelled.
    case cancel(callID: UInt64)
    case trigger(Trigger)
    case shutdown(UnsafeContinuation<Void, Never>)

    // Peers
    /// A peer's request; its answer is due within `timeout` (nil: the configured RPC timeout).
    case incomingRequest(RaftMessage<Types>, from: NodeID, IncomingReply<Types>, timeout: Duration?)
    case snapshotChunk(SnapshotChunk<Types>, from: NodeID, UnsafeContinuation<SnapshotChunkResponse, Never>)
    case response(RaftMessage<Types>, from: NodeID)
    case deliveryFailed(to: NodeID, rpcID: UInt64)

    // Workers
    case logFlushed(IOID)
    case entriesRead(ReadID, [Entry<Types>])
    case applied(entries: [Entry<Types>], responses: [Types.Response])
    case snapshotBuilt(SnapshotMeta<Types>)
    case snapshotBuildFailed
    case snapshotInstalled(SnapshotMeta<Types>)
    case storageFailed(StorageError)
    case tick

    @usableFromInline enum Trigger: Sendable {
        case elect, heartbeat, snapshot, purge(upTo: LogIndex), resumeVoting
        case heartbeatEnabled(Bool), electionEnabled(Bool)
        /// A peer answered a vote request with "removed" (``RefusalReason/removed``).
        case removalReported(by: NodeID)
    }
}

/// Identifies an incoming request awaiting the engine's answer. The kind keeps an answer of
/// one kind from completing a request of another that happens to share the id.
@usableFromInline struct IncomingKey: Hashable {
    @usableFromInline enum Kind: Hashable { case append, vote, snapshot }
    @usableFromInline var peer: NodeID
    @usableFromInline var rpcID: UInt64
    @usableFromInline var kind: Kind

    @inlinable init(peer: NodeID, rpcID: UInt64, kind: Kind) {
        self.peer = peer
        self.rpcID = rpcID
        self.kind = kind
    }
}

/// Where the answer to an incoming request goes.
@usableFromInline enum IncomingReply<Types: RaftTypeConfig>: Sendable {
    case append(@Sendable (Result<AppendEntriesResponse, RPCError>) -> Void)
    case vote(@Sendable (Result<VoteResponse, RPCError>) -> Void)
    case none

    @inlinable var kind: IncomingKey.Kind? {
        switch self {
        case .append: return .append
        case .vote: return .vote
        case .none: return nil
        }
    }

    @inlinable func fail(_ error: RPCError) {
        switch self {
        case .append(let reply): reply(.failure(error))
        case .vote(let reply): reply(.failure(error))
        case .none: break
        }
    }
}
