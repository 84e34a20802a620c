/// Why a ``RaftNode`` call failed.
///
/// Errors are either *retryable* (another node leads, a change is in progress, the outcome is
/// unknown and can be checked) or *fatal* (storage failed, the node stopped).
public enum RaftError<Address: Sendable & Hashable & Codable>: Error, Sendable, Hashable, Codable {
    /// This node does not lead; send the request to `leaderID` at `address` (nil when unknown).
    case forwardToLeader(leaderID: NodeID?, address: Address?)
    /// The write's entry was replaced by another leader's entry: it did not take effect.
    case writeFailed
    /// The write may or may not have taken effect: its entry was compacted into a snapshot or
    /// replaced on this node, or the node stopped (shut down, or a storage failure) after
    /// proposing it and before its outcome was known. Another node may still commit it.
    case outcomeUnknown
    /// Leadership is being handed over; retry shortly at the new leader.
    case transferringLeadership(to: NodeID)
    indirect case membershipChange(MembershipChangeError)
    indirect case leaderTransfer(LeaderTransferError)
    indirect case initialize(InitializeError)
    /// The call did not complete within its timeout.
    case timeout
    /// The node is shutting down or stopped.
    case shuttingDown
    /// Storage failed; the node stopped (fatal). Writes it had already proposed are answered
    /// ``outcomeUnknown`` instead.
    indirect case storage(StorageError)
    /// The configuration is invalid.
    indirect case config(RaftConfigError)
    /// Leadership was lost while the request was in progress; it may complete under the
    /// next leader.
    case leadershipLost(leaderID: NodeID?, address: Address?)
    /// The request is not supported by the transport (e.g. follower reads).
    indirect case unsupported(String)
    /// A request this node made to a peer failed (unreachable, timed out, or refused).
    case network(RPCError)

    /// Whether retrying (possibly elsewhere) can succeed.
    @inlinable public var isRetryable: Bool {
        switch self {
        case .forwardToLeader, .transferringLeadership, .timeout, .leadershipLost, .outcomeUnknown, .network: return true
        case .membershipChange(.changeInProgress): return true
        default: return false
        }
    }

    /// Whether the node has stopped because of this error.
    @inlinable public var isFatal: Bool {
        switch self {
        case .storage, .shuttingDown: return true
        default: return false
        }
    }
}
