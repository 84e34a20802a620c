/// Why a ``RaftNode`` call failed.
///
/// Two questions matter to a caller, and each has its own property:
/// - ``isRetryable``: the request did not take effect, and sending it again (after a pause,
///   or to the node the error names) can succeed. Safe for any command.
/// - ``mayHaveBeenApplied``: the outcome is unknown (``outcomeUnknown(_:)``). The command may
///   have been applied, or may still be applied later. Retrying can apply it twice, so retry
///   only commands that are idempotent or deduplicated by the state machine (see
///   ``ClientSessions``).
///
/// Everything else is final for this call: fix the request or the node (``isFatal``: the node
/// stopped).
public enum RaftError<Address: Sendable & Hashable & Codable>: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// This node does not lead; send the request to `leaderID` at `address` (nil when unknown:
    /// an election may be running).
    case forwardToLeader(leaderID: NodeID?, address: Address?)
    /// This node is no longer a member of the cluster (it was removed) and knows no leader:
    /// asking it again cannot succeed; ask another member.
    case notAMember
    /// The write's entry was replaced by another leader's entry: it did not take effect (an
    /// entry lives at one index only), so retrying is safe.
    case writeFailed
    /// The request may or may not have taken effect, and may still take effect later; the
    /// reason says why its fate is unknown here.
    case outcomeUnknown(UnknownOutcome)
    /// Leadership is being handed over; retry shortly at the new leader.
    case transferringLeadership(to: NodeID)
    /// A membership change was refused; the error says why (`changeInProgress` is retryable).
    indirect case membershipChange(MembershipChangeError)
    /// A leadership transfer was refused or did not complete.
    indirect case leaderTransfer(LeaderTransferError)
    /// ``RaftNode/initialize(_:)`` was refused (`alreadyInitialized` is harmless).
    indirect case initialize(InitializeError)
    /// The call did not complete within its timeout. Only calls that change nothing answer
    /// this (reads, waits, transfers); writes and membership changes that time out answer
    /// ``outcomeUnknown(_:)`` with ``UnknownOutcome/deadlineExceeded``.
    case timeout
    /// The caller's task was cancelled before the request was handed to the engine: it did not
    /// take effect. (Once proposed, a cancelled write answers ``outcomeUnknown(_:)``.)
    case cancelled
    /// The node was shut down (``RaftNode/shutdown()``).
    case shuttingDown
    /// Storage failed and the node stopped (fatal): the error names the file or object and
    /// the operation. Writes it had already proposed answer ``outcomeUnknown(_:)`` with
    /// ``UnknownOutcome/storageFailed(_:)`` instead.
    indirect case storage(StorageError)
    /// The configuration is invalid.
    indirect case config(RaftConfigError)
    /// Leadership was lost while the request was in progress (reads: it did not complete and
    /// changed nothing; retry at the new leader).
    case leadershipLost(leaderID: NodeID?, address: Address?)
    /// The request is not supported by the transport (e.g. follower reads).
    indirect case unsupported(String)
    /// A request this node made to a peer failed (unreachable, timed out, or refused).
    case network(RPCError)

    /// Whether the request certainly did not take effect and retrying it (after a pause, or
    /// at the node the error names) can succeed: safe to retry even for a command that must
    /// not apply twice.
    @inlinable public var isRetryable: Bool {
        switch self {
        case .forwardToLeader, .writeFailed, .transferringLeadership, .timeout, .leadershipLost, .network: return true
        case .membershipChange(.changeInProgress): return true
        case .leaderTransfer(.transferInProgress), .leaderTransfer(.timedOut), .leaderTransfer(.leadershipLost): return true
        default: return false
        }
    }

    /// Whether the request may have been applied (or may still be): its outcome is unknown.
    /// Retry it only if applying it twice is harmless, or deduplicated (``ClientSessions``);
    /// otherwise read the state to learn what happened.
    @inlinable public var mayHaveBeenApplied: Bool {
        if case .outcomeUnknown = self { return true }
        return false
    }

    /// Whether the node has stopped: every later call fails too.
    @inlinable public var isFatal: Bool {
        switch self {
        case .storage, .shuttingDown, .outcomeUnknown(.storageFailed), .outcomeUnknown(.nodeStopped): return true
        default: return false
        }
    }

    @inlinable public var description: String {
        switch self {
        case let .forwardToLeader(leaderID?, address):
            return "this node does not lead; send the request to node \(leaderID)" + (address.map { " at \($0)" } ?? "")
        case .forwardToLeader(nil, _):
            return "this node does not lead and knows no leader (an election may be running); retry shortly"
        case .notAMember: return "this node is no longer a member of the cluster; send requests to another member"
        case .writeFailed: return "the write did not take effect: a new leader replaced its log entry; it is safe to retry"
        case .outcomeUnknown(let reason):
            return "the outcome is unknown: \(reason); the command may have been applied, so retry only if it is idempotent or deduplicated"
        case .transferringLeadership(let target): return "leadership is being transferred to node \(target); retry there shortly"
        case .membershipChange(let error): return "membership change refused: \(error)"
        case .leaderTransfer(let error): return "leadership transfer failed: \(error)"
        case .initialize(let error): return "initialize: \(error)"
        case .timeout: return "the call did not complete within its timeout; it changed nothing"
        case .cancelled: return "the call was cancelled before it took effect"
        case .shuttingDown: return "the node has been shut down"
        case .storage(let error): return "the node stopped after a storage failure: \(error)"
        case .config(let error): return error.description
        case let .leadershipLost(leaderID, address):
            let target = leaderID.map { "node \($0)" + (address.map { " at \($0)" } ?? "") } ?? "the new leader"
            return "leadership was lost before the request completed; retry at \(target)"
        case .unsupported(let what): return "not supported: \(what)"
        case .network(let error): return "a request to a peer failed: \(error)"
        }
    }
}

/// Why a request's outcome is unknown to the node that answered: its command may have been
/// applied, or may be applied later by the cluster.
public enum UnknownOutcome: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The node stopped leading before the entry committed; the next leader may still commit it.
    case leadershipLost
    /// A new leader removed the entry from this node's log; another node may still hold a
    /// copy and commit it as a later leader.
    case entryTruncated
    /// A snapshot installed from the leader covers the entry's index, so this node cannot
    /// tell which entry was committed there.
    case coveredBySnapshot
    /// The call's deadline passed while the entry was in the log, not yet committed.
    case deadlineExceeded
    /// The caller's task was cancelled after the entry was proposed.
    case cancelled
    /// The node was shut down after proposing the entry.
    case nodeStopped
    /// The node stopped on a storage failure after proposing the entry.
    indirect case storageFailed(StorageError)

    @inlinable public var description: String {
        switch self {
        case .leadershipLost: return "this node stopped leading before the entry committed"
        case .entryTruncated: return "a new leader removed the entry from this node's log; another node may still commit a copy"
        case .coveredBySnapshot: return "a snapshot from the leader covers the entry, so this node cannot tell which entry committed"
        case .deadlineExceeded: return "the deadline passed before the entry committed"
        case .cancelled: return "the caller was cancelled after the entry was proposed"
        case .nodeStopped: return "the node was shut down after proposing the entry"
        case .storageFailed(let error): return "the node stopped on a storage failure after proposing the entry (\(error))"
        }
    }
}
