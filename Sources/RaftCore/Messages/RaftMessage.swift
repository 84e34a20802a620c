/// Every message one engine sends another.
public enum RaftMessage<T: RaftTypeConfig>: Sendable {
    /// A leader replicating entries.
    case appendEntries(AppendEntriesRequest<T>)
    /// A follower's answer to an append.
    case appendEntriesResponse(AppendEntriesResponse)
    /// A candidate asking for a vote (or a pre-vote).
    case vote(VoteRequest)
    /// A voter's answer.
    case voteResponse(VoteResponse)
    /// A leader sending a snapshot.
    indirect case installSnapshot(InstallSnapshotRequest<T>)
    /// A follower's answer to a snapshot.
    case installSnapshotResponse(InstallSnapshotResponse)
    /// A leader asking a voter to campaign at once.
    case timeoutNow(TimeoutNowRequest)

    /// The id that pairs a request with its response.
    @inlinable public var rpcID: UInt64 {
        switch self {
        case .appendEntries(let m): return m.rpcID
        case .appendEntriesResponse(let m): return m.rpcID
        case .vote(let m): return m.rpcID
        case .voteResponse(let m): return m.rpcID
        case .installSnapshot(let m): return m.rpcID
        case .installSnapshotResponse(let m): return m.rpcID
        case .timeoutNow(let m): return m.rpcID
        }
    }

    /// Whether this message answers another.
    @inlinable public var isResponse: Bool {
        switch self {
        case .appendEntriesResponse, .voteResponse, .installSnapshotResponse: return true
        case .appendEntries, .vote, .installSnapshot, .timeoutNow: return false
        }
    }
}

extension RaftMessage: Codable {}

extension RaftMessage: CustomStringConvertible {
    @inlinable public var description: String {
        switch self {
        case .appendEntries(let m):
            return "Append(vote \(m.vote), prev \(m.prevLogID.map(\.description) ?? "-"), n=\(m.entries.count), commit \(m.leaderCommit.map(\.description) ?? "-"), #\(m.rpcID))"
        case .appendEntriesResponse(let m):
            return "AppendResp(vote \(m.vote), \(m.outcome), #\(m.rpcID))"
        case .vote(let m):
            return "\(m.isPreVote ? "PreVote" : "Vote")(\(m.vote), last \(m.lastLogID.map(\.description) ?? "-")\(m.isLeadershipTransfer ? ", transfer" : ""), #\(m.rpcID))"
        case .voteResponse(let m):
            return "\(m.isPreVote ? "PreVote" : "Vote")Resp(\(m.granted ? "granted" : "denied"), vote \(m.vote), #\(m.rpcID))"
        case .installSnapshot(let m):
            return "InstallSnapshot(vote \(m.vote), last \(m.meta.lastLogID.map(\.description) ?? "-"), #\(m.rpcID))"
        case .installSnapshotResponse(let m):
            return "InstallSnapshotResp(vote \(m.vote), \(m.outcome), #\(m.rpcID))"
        case .timeoutNow(let m):
            return "TimeoutNow(vote \(m.vote), #\(m.rpcID))"
        }
    }
}
