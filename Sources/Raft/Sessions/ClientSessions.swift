/// Exactly-once requests for a state machine: it remembers, per client, the responses to the
/// client's latest requests, so that a request retried after an unknown outcome
/// (``RaftError/mayHaveBeenApplied``) is answered with its first result instead of being
/// applied twice (the Raft dissertation's client sessions, §6.3).
///
/// A client picks an id unique in the cluster (random 64 bits will do) and numbers its
/// requests 1, 2, 3, ...; a retry reuses the number. Its first ``Limits/responsesPerClient``
/// requests open its session; once forgotten (idle while more than ``Limits/maxClients``
/// others were active), its requests answer ``Lookup/expired`` and it should start again
/// under a new id. The state machine keeps the table as part
/// of its state (and of its snapshots); for every command that carries a session it looks the
/// request up first, and records the response of a new one:
///
/// ```swift
/// case let .exactlyOnce(client, sequence, command):
///     switch sessions.lookUp(client: client, sequence: sequence) {
///     case .duplicate(let response): return response
///     case .expired: return .requestExpired
///     case .new:
///         let response = apply(command)
///         sessions.record(response, client: client, sequence: sequence, at: entry.index)
///         return response
///     }
/// ```
///
/// Every replica applies the same entries in the same order, so every replica's table is the
/// same, evictions included: they depend only on the log (entry indexes), never on a clock.
public struct ClientSessions<Response: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    /// How much the table remembers.
    public struct Limits: Sendable, Hashable, Codable {
        /// Clients remembered; beyond it the least recently active ones are forgotten.
        public var maxClients: Int
        /// Responses remembered per client: a client may have this many requests in flight
        /// and still have each retry recognized.
        public var responsesPerClient: Int

        /// Limits for the table.
        @inlinable public init(maxClients: Int = 10_000, responsesPerClient: Int = 32) {
            precondition(maxClients > 0 && responsesPerClient > 0, "session limits must be positive")
            self.maxClients = maxClients
            self.responsesPerClient = responsesPerClient
        }
    }

    /// What the table knows of one request.
    public enum Lookup: Sendable, Hashable {
        /// Not seen before: apply it, then ``ClientSessions/record(_:client:sequence:at:)``.
        case new
        /// A retry of a request already applied: do not apply it again; this is its first
        /// response.
        case duplicate(Response)
        /// Older than anything remembered for this client (or the client was forgotten after
        /// being idle): whether it was applied is unknown; do not apply it.
        case expired
    }

    /// One client's remembered requests.
    @usableFromInline struct Session: Sendable, Hashable, Codable {
        /// Responses by sequence number, the newest `responsesPerClient` of them.
        @usableFromInline var responses: [UInt64: Response]
        /// Every request numbered at or below this was applied or is forgotten.
        @usableFromInline var forgottenThrough: UInt64
        /// The index of the entry that last used the session (eviction order).
        @usableFromInline var lastActive: UInt64

        @inlinable init(responses: [UInt64: Response], forgottenThrough: UInt64, lastActive: UInt64) {
            self.responses = responses
            self.forgottenThrough = forgottenThrough
            self.lastActive = lastActive
        }
    }

    /// What the table remembers at most.
    public var limits: Limits
    @usableFromInline var sessions: [UInt64: Session]

    /// An empty table.
    @inlinable public init(limits: Limits = Limits()) {
        self.limits = limits
        self.sessions = [:]
    }

    /// Clients currently remembered.
    @inlinable public var clientCount: Int { sessions.count }

    /// What to do with request `sequence` of `client`.
    @inlinable public func lookUp(client: UInt64, sequence: UInt64) -> Lookup {
        guard let session = sessions[client] else {
            // A client's first requests open its session. A later request from a client not
            // in the table belongs to a session that was forgotten: it may have been applied.
            return sequence <= UInt64(limits.responsesPerClient) ? .new : .expired
        }
        if let response = session.responses[sequence] { return .duplicate(response) }
        return sequence <= session.forgottenThrough ? .expired : .new
    }

    /// Remembers the response of a new request (see ``lookUp(client:sequence:)``), applied
    /// by the entry at `index`.
    @inlinable public mutating func record(_ response: Response, client: UInt64, sequence: UInt64, at index: UInt64) {
        var session = sessions[client] ?? Session(responses: [:], forgottenThrough: 0, lastActive: index)
        session.lastActive = index
        session.responses[sequence] = response
        if session.responses.count > limits.responsesPerClient, let oldest = session.responses.keys.min() {
            session.responses.removeValue(forKey: oldest)
            session.forgottenThrough = max(session.forgottenThrough, oldest)
        }
        sessions[client] = session
        if sessions.count > limits.maxClients { evictIdleClients() }
    }

    /// Forgets the least recently active clients, a tenth of the limit at a time so that
    /// eviction's sort is paid rarely. Ties break by client id: every replica evicts the same.
    @inlinable mutating func evictIdleClients() {
        let keep = limits.maxClients - max(1, limits.maxClients / 10)
        let byActivity = sessions.sorted { ($0.value.lastActive, $0.key) < ($1.value.lastActive, $1.key) }
        for (client, _) in byActivity.prefix(sessions.count - keep) { sessions.removeValue(forKey: client) }
    }
}
