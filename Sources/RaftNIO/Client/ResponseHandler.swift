import Raft
import RaftCore

/// Where the answer to one request goes. Each is called exactly once: with the response, a
/// failure the peer sent, a timeout, or a connection failure.
@usableFromInline enum ResponseHandler: Sendable {
    case append(@Sendable (Result<AppendEntriesResponse, RPCError>) -> Void)
    case vote(@Sendable (Result<VoteResponse, RPCError>) -> Void)
    case snapshotChunk(@Sendable (Result<SnapshotChunkResponse, RPCError>) -> Void)
    case timeoutNow(@Sendable (Result<Void, RPCError>) -> Void)
    case readIndex(@Sendable (Result<LogID?, RPCError>) -> Void)

    func fail(_ error: RPCError) {
        switch self {
        case .append(let answer): answer(.failure(error))
        case .vote(let answer): answer(.failure(error))
        case .snapshotChunk(let answer): answer(.failure(error))
        case .timeoutNow(let answer): answer(.failure(error))
        case .readIndex(let answer): answer(.failure(error))
        }
    }

    /// Completes the call with `response`; returns false (failing the call) when the response
    /// is of another kind than the request.
    @discardableResult
    func complete(_ response: IncomingResponse) -> Bool {
        switch (self, response) {
        case (_, .failure(let failure)): fail(failure.rpcError)
        case (.append(let answer), .append(let value)): answer(.success(value))
        case (.vote(let answer), .vote(let value)): answer(.success(value))
        case (.snapshotChunk(let answer), .snapshotChunk(let value)): answer(.success(value))
        case (.timeoutNow(let answer), .timeoutNow): answer(.success(()))
        case (.readIndex(let answer), .readIndex(let value)): answer(.success(value))
        default:
            fail(.refused(.protocolViolation, "the peer answered with a response of another kind"))
            return false
        }
        return true
    }
}
