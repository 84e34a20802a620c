/// Where to send a request this node cannot serve: the leader it knows, if any.
public struct ForwardToLeader: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The current leader, nil when unknown (election in progress, or this node was removed).
    public var leaderID: NodeID?

    @inlinable public init(leaderID: NodeID?) { self.leaderID = leaderID }

    @inlinable public var description: String { "not the leader; leader is \(leaderID.map(String.init) ?? "unknown")" }
}

/// Why a proposal was refused. Nothing was appended.
public enum ProposeError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    case forwardToLeader(ForwardToLeader)
    /// Leadership is being handed to `target`; retry there shortly.
    case transferringLeadership(to: NodeID)

    @inlinable public var description: String {
        switch self {
        case .forwardToLeader(let forward): return forward.description
        case .transferringLeadership(let target): return "leadership is being transferred to \(target)"
        }
    }
}

/// Why a read index could not be provided.
public enum ReadIndexError: Error, Hashable, Sendable, Codable {
    case forwardToLeader(ForwardToLeader)
    /// Leadership was lost before a quorum confirmed it.
    case leadershipLost(ForwardToLeader)
}

/// Why a membership change failed after it was accepted.
public enum MembershipChangeFailure: Error, Hashable, Sendable, Codable {
    case rejected(MembershipChangeError)
    case forwardToLeader(ForwardToLeader)
    /// Leadership was lost mid-change; the change may still complete under the next leader.
    case leadershipLost(ForwardToLeader)
}

/// Why a leadership transfer failed.
public enum LeaderTransferError: Error, Hashable, Sendable, Codable {
    case forwardToLeader(ForwardToLeader)
    /// The target is not a voter of the current configuration.
    case targetNotVoter(NodeID)
    case transferInProgress(to: NodeID)
    /// The target did not take over in time; this node leads on and accepts writes again.
    case timedOut
    /// Leadership went to another node.
    case leadershipLost(ForwardToLeader)
}

/// Why `initialize` did nothing.
public enum InitializeError: Error, Hashable, Sendable, Codable {
    /// The node already has a log or a vote: it was initialized before, or joined a cluster.
    case alreadyInitialized(lastLogID: LogID?, vote: Vote)
    /// The membership does not include this node as a voter.
    case notAVoter(NodeID)
    case invalidMembership(String)
}
