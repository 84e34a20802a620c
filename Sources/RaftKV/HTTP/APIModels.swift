import Raft
import RaftCore

// The JSON bodies of the HTTP API (Sources/RaftKV/README.md documents each).

struct KeyValueBody: Codable, Sendable {
    var key: String
    var value: String
}

struct ListBody: Codable, Sendable {
    var items: [KeyValueBody]
    /// More keys with the prefix exist past `limit`.
    var more: Bool
}

struct WriteBody: Codable, Sendable {
    var key: String
    var index: UInt64
    var term: UInt64
    var previous: String?
    /// DELETE only: whether the key existed.
    var deleted: Bool?
}

struct TransactionRequest: Codable, Sendable {
    struct Compare: Codable, Sendable {
        var key: String
        /// The key must hold exactly this value.
        var value: String?
        /// The key must exist (true) or be absent (false).
        var exists: Bool?
    }

    struct Operation: Codable, Sendable {
        /// "put" or "delete".
        var op: String
        var key: String
        var value: String?
    }

    var compare: [Compare]?
    var success: [Operation]?
    var failure: [Operation]?
}

struct TransactionBody: Codable, Sendable {
    var succeeded: Bool
    var index: UInt64
    var term: UInt64
}

struct MemberBody: Codable, Sendable {
    var id: UInt64
    var raft: String
    var http: String
}

struct InitRequest: Codable, Sendable {
    var members: [MemberBody]?
}

struct LearnerRequest: Codable, Sendable {
    var id: UInt64
    var raft: String
    var http: String
    /// Answer only once the learner has caught up (default true).
    var waitUntilCaughtUp: Bool?
}

struct MembersRequest: Codable, Sendable {
    var add: [MemberBody]?
    var promote: [UInt64]?
    var remove: [UInt64]?
}

struct TransferRequest: Codable, Sendable {
    var to: UInt64?
}

struct MembershipBody: Codable, Sendable {
    struct Member: Codable, Sendable {
        var id: UInt64
        var raft: String?
        var http: String?
        /// "voter" or "learner".
        var role: String
    }

    var index: UInt64?
    var joint: Bool
    var voters: [UInt64]
    var learners: [UInt64]
    var members: [Member]

    init(_ stored: StoredMembership<StoreTypes>) {
        let config = stored.config
        index = stored.logID?.index
        joint = config.isJoint
        voters = config.voterIDs.map(\.self).sorted()
        learners = config.learners.map(\.self).sorted()
        members = config.allNodeIDs.sorted().map { id in
            let address = stored.membership.addresses[id]
            return Member(id: id, raft: address?.raft, http: address?.http, role: config.isVoter(id) ? "voter" : "learner")
        }
    }
}

struct LogPosition: Codable, Sendable {
    var index: UInt64
    var term: UInt64

    init?(_ logID: LogID?) {
        guard let logID else { return nil }
        index = logID.index
        term = logID.term
    }
}

struct StatusBody: Codable, Sendable {
    struct Follower: Codable, Sendable {
        var id: UInt64
        var matchIndex: UInt64
        var lag: UInt64
        var mode: String
    }

    var id: UInt64
    var role: String
    var running: String
    var term: UInt64
    var leader: LeaderHint?
    var lastLog: LogPosition?
    var committed: UInt64
    var applied: UInt64
    var snapshot: UInt64?
    var purged: UInt64?
    var membership: MembershipBody
    /// The leader's view of each follower (empty on other nodes).
    var followers: [Follower]
    var votingSuspended: Bool
    var keys: Int
    var http: String
    var raft: String
}

struct ChangeBody: Codable, Sendable {
    var index: UInt64
    var membership: MembershipBody
}
