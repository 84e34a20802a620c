import RaftCore

/// What a client asks the key-value service.
enum KVRequest: Hashable, Sendable, CustomStringConvertible {
    case read(key: Int)
    case write(key: Int, value: Int)
    case compareAndSet(key: Int, expected: Int?, new: Int)

    var key: Int {
        switch self {
        case .read(let key), .write(let key, _), .compareAndSet(let key, _, _): return key
        }
    }

    var isRead: Bool { if case .read = self { return true } else { return false } }

    var description: String {
        switch self {
        case .read(let key): return "read(k\(key))"
        case let .write(key, value): return "write(k\(key)=\(value))"
        case let .compareAndSet(key, expected, new): return "cas(k\(key),\(expected.map(String.init) ?? "nil")->\(new))"
        }
    }
}

/// What the service answered.
enum KVReply: Hashable, Sendable, CustomStringConvertible {
    case read(Int?)
    case written
    case compareAndSet(succeeded: Bool)

    var description: String {
        switch self {
        case .read(let value): return "read \(value.map(String.init) ?? "nil")"
        case .written: return "written"
        case .compareAndSet(let succeeded): return "cas \(succeeded)"
        }
    }
}

/// How a client operation ended, as the client saw it.
enum ClientOutcome: Hashable, Sendable {
    case ok(KVReply)
    /// It certainly did not take effect.
    case fail
    /// It may or may not have taken effect (timed out after it may have been proposed).
    case unknown
}

/// One operation in the recorded client history.
struct RecordedOperation: Sendable {
    var client: Int
    var request: KVRequest
    /// History times: a counter that increases with every invocation and completion, in
    /// simulated-time order, so real-time order is exact and no two events share a time.
    var invokedAt: UInt64
    var outcome: ClientOutcome = .unknown
    var completedAt: UInt64?
}

/// A request on its way from a client to a node.
struct ClientRequest {
    var client: Int
    var attempt: UInt64
    var node: NodeID
    var operation: Int
    var request: KVRequest
}

/// A client read that a node's engine is confirming (or refusing).
struct ClientRead {
    var client: Int
    var attempt: UInt64
    var key: Int
    var node: NodeID
    var policy: ReadPolicy
    /// The node's leadership when the read reached it, nil if it did not lead.
    var leader: LeaderID?
    /// The highest index that any leader newer than `leader` had committed when the read
    /// reached the node: the state the read is served from must include it.
    var mustReflect: LogIndex
}

/// A node's (or a broken connection's) answer on its way to a client.
struct ClientResponse {
    var client: Int
    var attempt: UInt64
    var reply: Reply

    enum Reply {
        case ok(KVReply, logID: LogID?)
        /// Not served here; try `hint` (or anyone). The request took no effect.
        case refused(hint: NodeID?)
        /// The write's entry was replaced by another at its index: it never takes effect.
        case failed
        /// The outcome cannot be known (the node crashed, or its entry was compacted away).
        case unknown
    }
}

/// A closed-loop client: one operation at a time, retrying refusals, following leader hints.
struct SimClient {
    let id: Int
    var target: NodeID
    /// Index into the history of the operation in progress.
    var operation: Int?
    var request: KVRequest?
    var attempt: UInt64 = 0
    var deadline: UInt64 = 0
    /// A request of the current operation is on its way or being served.
    var attemptInFlight = false
    var wakeGeneration: UInt64 = 0
    /// Last value observed per key, so compare-and-set usually names a plausible value.
    var lastSeen: [Int?]
    var writesIssued = 0
    /// The liveness probe writes until one is acknowledged.
    var isProbe = false
    var probeAcknowledged: LogID?
    /// What the client does while a leader is deposed (the deposed-leader fault).
    struct Episode {
        enum Role {
            /// Reads only, always at this node (the deposed leader), ignoring leader hints.
            case pinnedReader(NodeID)
            /// Writes only, wherever the leader hints lead.
            case writer
        }

        var role: Role
        /// Simulated instant at which the client returns to its usual mix.
        var until: UInt64
    }

    var episode: Episode?

    /// The episode's role, while it lasts.
    func episodeRole(at now: UInt64) -> Episode.Role? {
        guard let episode, now < episode.until else { return nil }
        return episode.role
    }

    /// The node the client must stay with, if pinned.
    func pinnedNode(at now: UInt64) -> NodeID? {
        if case .pinnedReader(let node) = episodeRole(at: now) { return node }
        return nil
    }

    init(id: Int, target: NodeID, keyCount: Int) {
        self.id = id
        self.target = target
        self.lastSeen = Array(repeating: nil, count: keyCount)
    }
}
