/// Where to send a request this node cannot serve: the leader it knows, if any.
public struct ForwardToLeader: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The current leader, nil when unknown (election in progress, or this node was removed).
    public var leaderID: NodeID?
    /// This node knows a membership that does not include it (it was removed, or is a leader
    /// whose own removal committed) and knows no leader to point to: asking it again cannot
    /// succeed; ask another member.
    public var notAMember: Bool

    /// A redirection to `leaderID` (nil when unknown); `notAMember` when this node was removed.
    @inlinable public init(leaderID: NodeID?, notAMember: Bool = false) {
        self.leaderID = leaderID
        self.notAMember = notAMember
    }

    @inlinable public var description: String {
        if notAMember { return "this node is not a member of the cluster any more; ask another member" }
        guard let leaderID else { return "this node does not lead and knows no leader (an election may be running); retry shortly" }
        return "this node does not lead; node \(leaderID) does"
    }
}

extension RaftEngine {
    /// Where a request only a leader serves should go, as this node sees it.
    @inlinable var forwardTarget: ForwardToLeader {
        if role == .leader, leader != nil, leader!.removedFromMembership { return ForwardToLeader(leaderID: nil, notAMember: true) }
        // A learner leads only to hand over to a voter (Engine+LearnerElection): ask again shortly.
        if role == .leader, leader != nil, leader!.leadsAsNonVoter { return ForwardToLeader(leaderID: nil) }
        let leaderID = currentLeader
        let removed = leaderID == nil && membership.effective.logID != nil && !membership.effective.config.allNodeIDs.contains(id)
        return ForwardToLeader(leaderID: leaderID, notAMember: removed)
    }
}

/// Why a proposal was refused. Nothing was appended.
public enum ProposeError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// This node does not lead.
    case forwardToLeader(ForwardToLeader)
    /// Leadership is being handed to `target`; retry there shortly.
    case transferringLeadership(to: NodeID)

    @inlinable public var description: String {
        switch self {
        case .forwardToLeader(let forward): return forward.description
        case .transferringLeadership(let target): return "leadership is being transferred to node \(target); retry there shortly"
        }
    }
}

/// Why a read index could not be provided.
public enum ReadIndexError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// This node does not lead.
    case forwardToLeader(ForwardToLeader)
    /// Leadership was lost before a quorum confirmed it.
    case leadershipLost(ForwardToLeader)

    @inlinable public var description: String {
        switch self {
        case .forwardToLeader(let forward): return forward.description
        case .leadershipLost(let forward): return "leadership was lost before a quorum confirmed the read; \(forward.description)"
        }
    }
}

/// Why a membership change failed after it was accepted.
public enum MembershipChangeFailure: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The change itself was refused.
    case rejected(MembershipChangeError)
    /// This node does not lead.
    case forwardToLeader(ForwardToLeader)
    /// Leadership was lost mid-change; the change may still complete under the next leader.
    case leadershipLost(ForwardToLeader)

    @inlinable public var description: String {
        switch self {
        case .rejected(let error): return error.description
        case .forwardToLeader(let forward): return forward.description
        case .leadershipLost(let forward): return "leadership was lost during the change, which may still complete; \(forward.description)"
        }
    }
}

/// Why a leadership transfer failed.
public enum LeaderTransferError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// This node does not lead.
    case forwardToLeader(ForwardToLeader)
    /// The target is not a voter of the current configuration.
    case targetNotVoter(NodeID)
    /// The target may not vote or campaign: it lost its storage and waits for
    /// `resumeVoting` (see disaster recovery).
    case targetVotingSuspended(NodeID)
    /// Another transfer, to this node, is under way.
    case transferInProgress(to: NodeID)
    /// The target did not take over in time; this node leads on and accepts writes again.
    case timedOut
    /// Leadership went to another node.
    case leadershipLost(ForwardToLeader)

    @inlinable public var description: String {
        switch self {
        case .forwardToLeader(let forward): return forward.description
        case .targetNotVoter(let target): return "node \(target) is not a voter; only voters can lead"
        case .targetVotingSuspended(let target):
            return "node \(target) cannot lead: its voting is suspended after it lost storage; resume its voting first"
        case .transferInProgress(let target): return "a transfer to node \(target) is already in progress"
        case .timedOut: return "the target did not take over in time; this node still leads"
        case .leadershipLost(let forward): return "leadership went elsewhere during the transfer; \(forward.description)"
        }
    }
}

/// Why `initialize` did nothing.
public enum InitializeError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The node already has a log or a vote: it was initialized before, or joined a cluster.
    case alreadyInitialized(lastLogID: LogID?, vote: Vote)
    /// The membership does not include this node as a voter.
    case notAVoter(NodeID)
    /// The membership is unusable (no voter, or a voter without an address); the reason says why.
    case invalidMembership(String)
    /// The node started with its storage lost (voting suspended): it belonged to a cluster,
    /// whose log it must receive again. Forming a cluster of its own would write a first entry
    /// the cluster's own first entry may differ from, under the same log id.
    case storageLost

    @inlinable public var description: String {
        switch self {
        case let .alreadyInitialized(lastLogID, vote):
            return "already initialized (last log id \(lastLogID.map(\.description) ?? "none"), term \(vote.term)): nothing to do"
        case .notAVoter(let id): return "the initial membership must include this node (\(id)) as a voter"
        case .invalidMembership(let reason): return "invalid initial membership: \(reason)"
        case .storageLost:
            return "this node started with its storage lost: it rejoins its cluster (the leader sends it the log) and cannot form a new one"
        }
    }
}
