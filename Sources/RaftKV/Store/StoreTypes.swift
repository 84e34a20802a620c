import Raft
import RaftCore
import RaftNIO

/// Where a member of a `raft-kv` cluster listens: its Raft address (peers dial it) and its
/// HTTP address (clients are pointed at it). Both live in the replicated membership, so any
/// node can tell a client where the leader serves HTTP.
public struct MemberAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `host:port` of the member's Raft server.
    public var raft: String
    /// `host:port` of the member's HTTP server.
    public var http: String

    /// A member's two addresses.
    public init(raft: String, http: String) {
        self.raft = raft
        self.http = http
    }

    /// Both addresses, for logs.
    public var description: String { "raft \(raft), http \(http)" }
}

/// The type configuration of the `raft-kv` store.
public enum StoreTypes: RaftTypeConfig, RaftWireTypes {
    /// A write: one log entry.
    public typealias Command = StoreCommand
    /// What an applied write answers.
    public typealias Response = StoreResult
    /// A member's Raft and HTTP addresses, kept in the membership.
    public typealias NodeAddress = MemberAddress

    /// The key and value bytes: what a command costs in flow control.
    public static func byteCount(of command: StoreCommand) -> Int { command.byteCount }
}

/// One write of a transaction.
public enum StoreOperation: Hashable, Sendable {
    /// Sets `key` to `value`.
    case put(key: String, value: String)
    /// Removes `key`.
    case delete(key: String)

    /// The key the operation writes.
    public var key: String {
        switch self {
        case .put(let key, _), .delete(let key): return key
        }
    }
}

/// One condition of a transaction, checked against the state when the transaction applies.
public enum StoreCompare: Hashable, Sendable {
    /// `key` holds exactly `value`.
    case valueEquals(key: String, value: String)
    /// `key` exists (true) or is absent (false).
    case exists(key: String, Bool)

    /// The key the condition reads.
    public var key: String {
        switch self {
        case .valueEquals(let key, _), .exists(let key, _): return key
        }
    }
}

/// Compares and writes applied atomically as one log entry: when every compare holds, the
/// `success` writes apply, otherwise the `failure` writes.
public struct StoreTransaction: Hashable, Sendable {
    /// The conditions; all must hold for `success` to apply (none: `success` applies).
    public var compares: [StoreCompare]
    /// The writes applied, in order, when every compare holds.
    public var success: [StoreOperation]
    /// The writes applied, in order, when a compare fails.
    public var failure: [StoreOperation]

    /// A transaction.
    public init(compares: [StoreCompare], success: [StoreOperation], failure: [StoreOperation] = []) {
        self.compares = compares
        self.success = success
        self.failure = failure
    }
}

/// A write to the `raft-kv` store: one log entry.
public enum StoreCommand: Hashable, Sendable {
    /// Sets `key` to `value`.
    case put(key: String, value: String)
    /// Removes `key`.
    case delete(key: String)
    /// Sets `key` to `new` (nil removes it) only if its value is `expected` (nil: absent).
    case compareAndSet(key: String, expected: String?, new: String?)
    /// Compares and writes applied atomically.
    case transaction(StoreTransaction)
    /// `command` as request `sequence` of `client`: applied at most once however often it is
    /// retried (Raft's `ClientSessions`); a retry is answered with the first result.
    indirect case exactlyOnce(client: UInt64, sequence: UInt64, command: StoreCommand)

    var byteCount: Int {
        switch self {
        case let .put(key, value): return key.utf8.count + value.utf8.count
        case .delete(let key): return key.utf8.count
        case let .compareAndSet(key, expected, new): return key.utf8.count + (expected?.utf8.count ?? 0) + (new?.utf8.count ?? 0)
        case .transaction(let transaction):
            let compares = transaction.compares.reduce(0) { total, compare in
                if case .valueEquals(let key, let value) = compare { return total + key.utf8.count + value.utf8.count }
                return total + compare.key.utf8.count + 1
            }
            let writes = (transaction.success + transaction.failure).reduce(0) { total, operation in
                if case .put(let key, let value) = operation { return total + key.utf8.count + value.utf8.count }
                return total + operation.key.utf8.count
            }
            return compares + writes
        case .exactlyOnce(_, _, let command): return 16 + command.byteCount
        }
    }
}

/// The store's answer to one applied ``StoreCommand``, with the log id of the entry that
/// applied it (the first entry, for a retried exactly-once request).
public struct StoreResult: Hashable, Sendable, Codable {
    /// What the command did.
    public enum Outcome: Hashable, Sendable, Codable {
        /// A put or delete applied; `previous` is the value it replaced.
        case written(previous: String?)
        /// A compare-and-set: whether it swapped, and the key's value afterwards.
        case compareAndSet(succeeded: Bool, current: String?)
        /// A transaction: whether its compares held (its `success` writes applied).
        case transaction(succeeded: Bool)
        /// An exactly-once request older than what the store remembers of its client: not
        /// applied now; whether it was applied before is unknown.
        case requestExpired
    }

    /// The index of the entry that applied the command.
    public var index: UInt64
    /// The term of that entry.
    public var term: UInt64
    /// What the command did.
    public var outcome: Outcome

    /// A result.
    public init(index: UInt64, term: UInt64, outcome: Outcome) {
        self.index = index
        self.term = term
        self.outcome = outcome
    }
}
