/// Identifies one log I/O (vote save, append, truncate, purge). I/Os are numbered in the order
/// the engine issues them; the executor reports the highest durable one through
/// ``RaftEngine/logIOFlushed(upTo:)``.
public typealias IOID = UInt64

/// Identifies a caller's request whose answer comes later as ``EngineCommand/reply(_:_:)``.
public typealias RequestToken = UInt64

/// Identifies one storage read issued with ``EngineCommand/readEntries(id:range:)``.
public typealias ReadID = UInt64

/// What the engine asks its executor to do. Commands are executed in the order taken, with
/// these rules (the runtime and the simulator share one implementation of them):
///
/// - **Log I/O** (`saveVote`, `appendEntries`, `truncateLog`, `purgeLog`) go to the log store in
///   order, one at a time, and are durable in order. Each carries an ``IOID``; the executor
///   reports progress with ``RaftEngine/logIOFlushed(upTo:)``. Messages that must wait for
///   durability (a granted vote, an append acknowledgement) are held inside the engine until
///   then, so the executor may send every `send` at once.
/// - **Sends** may go out before earlier log I/O is durable: a leader replicates while its own
///   disk write runs.
/// - **State machine** commands (`apply`, `buildSnapshot`, `installSnapshot`) run in order on the
///   state machine; completions come back as ``RaftEngine/applied(upTo:)``,
///   ``RaftEngine/snapshotBuilt(_:)`` and ``RaftEngine/snapshotInstalled(_:)``.
public enum EngineCommand<T: RaftTypeConfig>: Sendable {
    /// Durably store the vote.
    case saveVote(Vote, io: IOID)
    /// Append entries (contiguous with the log); make them readable now and durable soon.
    case appendEntries([Entry<T>], io: IOID)
    /// Delete every entry after `after` (all when nil). Writes waiting for deleted entries can
    /// no longer learn their outcome on this node.
    case truncateLog(after: LogID?, io: IOID)
    /// Delete every entry up to and including `upTo` (the log may end before it).
    case purgeLog(upTo: LogID, io: IOID)
    /// Optionally persist the commit point.
    case saveCommitted(LogID)
    /// Deliver a message to a peer.
    case send(to: NodeID, RaftMessage<T>)
    /// Stream the current snapshot to a peer, then deliver the request; report transport
    /// failure with ``RaftEngine/deliveryFailed(to:rpcID:)``.
    indirect case sendSnapshot(to: NodeID, InstallSnapshotRequest<T>)
    /// Read entries `range` from the log store; answer with ``RaftEngine/entriesRead(id:entries:)``.
    case readEntries(id: ReadID, range: Range<LogIndex>)
    /// Apply committed entries, in order.
    case apply([Entry<T>])
    /// Build a snapshot of the state machine off the hot path.
    case buildSnapshot
    /// Install the snapshot received from the leader, replacing the state machine's state.
    indirect case installSnapshot(SnapshotMeta<T>)
    /// Answer a request made with a token.
    case reply(RequestToken, EngineReply)
    /// Something worth logging or counting happened.
    case event(EngineEvent)
}

/// The late answer to a request made with a ``RequestToken``.
public enum EngineReply: Sendable, Equatable {
    /// A linearizable read may be served once the state machine has applied `readLogID`.
    case readIndex(Result<LogID?, ReadIndexError>)
    /// The membership change finished (its final configuration committed at the log id).
    case membershipChange(Result<LogID, MembershipChangeFailure>)
    /// The leadership transfer finished.
    case leaderTransfer(Result<NodeID, LeaderTransferError>)
}

/// Noteworthy transitions, for logs and metrics.
public enum EngineEvent: Sendable, Equatable, Codable {
    /// This node started a campaign (a pre-vote, or an election of `term`).
    case becameCandidate(term: Term, preVote: Bool)
    /// This node was elected.
    case becameLeader(LeaderID)
    /// This node follows `leader` (nil while unknown) in `term`.
    case becameFollower(leader: NodeID?, term: Term)
    /// This node stopped leading.
    case steppedDown(reason: StepDownReason)
    /// A follower's log is shorter than it acknowledged (it lost storage): it is replicated to again from the start.
    case followerLogReverted(peer: NodeID, previouslyMatched: LogID?)
    /// A message was rejected, with why.
    case rejectedMessage(from: NodeID, reason: String)
    /// A membership entry committed.
    case membershipCommitted(LogID, MembershipConfig)
    /// A follower needs entries that were purged: it will be sent a snapshot.
    case snapshotNeeded(peer: NodeID)
}

/// Why a leader stopped leading.
public enum StepDownReason: Sendable, Equatable, Codable {
    /// A node with a higher vote was seen.
    case higherVote(Vote)
    /// Check-quorum: no quorum acknowledged this leader within an election timeout.
    case lostQuorumContact
    /// The committed membership no longer includes this node as a voter.
    case removedFromMembership
    /// This node led without being a voter of its membership (a learner elected because it held
    /// the newest log, see `Engine+LearnerElection.swift`) and handed leadership to a voter
    /// once its first entry committed.
    case handedOverToVoter
}
