import HTTPTypes
import Raft
import RaftCore

/// Where the leader is, as an error or a redirect names it.
struct LeaderHint: Codable, Sendable, Equatable {
    var id: UInt64
    var http: String?
    var raft: String?
}

/// An error answer of the HTTP API: a status and a JSON body with a stable `code`, a
/// `message` for people and, where it applies, the leader. The codes are listed in
/// `Sources/RaftKV/README.md`; clients branch on them, never on the message.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var leader: LeaderHint?
    /// Seconds, sent as Retry-After.
    var retryAfter: Int?
    /// Whether sending the same request again is safe and may succeed.
    var retryable: Bool = false
    /// Whether a write answered by this error may have been applied.
    var mayHaveBeenApplied: Bool = false
    /// The key's current value (compare-and-set mismatch); `.some(nil)`: absent.
    var current: String??

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func badRequest(_ message: String, code: String = "bad_request") -> APIError {
        APIError(.badRequest, code, message)
    }

    static func notFound(_ message: String, code: String = "not_found") -> APIError {
        APIError(.notFound, code, message)
    }

    static func noLeader(_ message: String = "no leader is known (an election may be running); retry shortly") -> APIError {
        var error = APIError(.serviceUnavailable, "no_leader", message)
        error.retryAfter = 1
        error.retryable = true
        return error
    }

    /// The JSON body.
    struct Body: Encodable {
        var code: String
        var message: String
        var leader: LeaderHint?
        var retryable: Bool
        var mayHaveBeenApplied: Bool
        var current: String??

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encode(message, forKey: .message)
            try container.encodeIfPresent(leader, forKey: .leader)
            try container.encode(retryable, forKey: .retryable)
            try container.encode(mayHaveBeenApplied, forKey: .mayHaveBeenApplied)
            if let current { try container.encode(current, forKey: .current) }
        }

        enum CodingKeys: String, CodingKey { case code, message, leader, retryable, mayHaveBeenApplied, current }
    }

    var body: Body {
        Body(code: code, message: message, leader: leader, retryable: retryable, mayHaveBeenApplied: mayHaveBeenApplied, current: current)
    }
}

extension APIError {
    /// The answer to a failed Raft call. `leader` finds the HTTP address of a node the error names.
    init(_ error: RaftError<MemberAddress>, leader: (NodeID?) -> LeaderHint?) {
        switch error {
        case let .forwardToLeader(leaderID, _), let .leadershipLost(leaderID, _):
            if leaderID == nil {
                self = .noLeader()
            } else {
                self.init(.serviceUnavailable, "not_leader", error.description)
                self.leader = leader(leaderID)
                self.retryAfter = 1
                self.retryable = true
            }
        case .transferringLeadership(let target):
            self.init(.serviceUnavailable, "transferring_leadership", error.description)
            self.leader = leader(target)
            self.retryAfter = 1
            self.retryable = true
        case .notAMember:
            self.init(.serviceUnavailable, "not_a_member", error.description)
        case .writeFailed:
            self.init(.serviceUnavailable, "write_failed", error.description)
            self.retryable = true
        case .outcomeUnknown(let reason):
            let status: HTTPResponse.Status = reason == .deadlineExceeded ? .gatewayTimeout : .serviceUnavailable
            self.init(status, "outcome_unknown", error.description)
            self.mayHaveBeenApplied = true
        case .timeout:
            self.init(.gatewayTimeout, "timeout", error.description)
            self.retryable = true
        case .cancelled:
            self.init(.serviceUnavailable, "cancelled", error.description)
            self.retryable = true
        case .shuttingDown:
            self.init(.serviceUnavailable, "shutting_down", error.description)
            self.retryable = true
        case .storage:
            self.init(.internalServerError, "storage_failed", error.description)
        case .config:
            self.init(.internalServerError, "config", error.description)
        case .unsupported:
            self.init(.notImplemented, "unsupported", error.description)
        case .network:
            self.init(.serviceUnavailable, "network", error.description)
            self.retryable = true
        case .membershipChange(let change):
            switch change {
            case .changeInProgress:
                self.init(.conflict, "change_in_progress", error.description)
                self.retryable = true
                self.retryAfter = 1
            case .membershipChanged:
                self.init(.conflict, "membership_changed", error.description)
            default:
                self.init(.badRequest, "invalid_membership_change", error.description)
            }
        case .leaderTransfer(let transfer):
            switch transfer {
            case .forwardToLeader(let forward), .leadershipLost(let forward):
                self.init(.serviceUnavailable, "not_leader", error.description)
                self.leader = leader(forward.leaderID)
                self.retryable = true
            case .targetNotVoter, .targetVotingSuspended:
                self.init(.badRequest, "invalid_transfer_target", error.description)
            case .transferInProgress:
                self.init(.conflict, "transfer_in_progress", error.description)
                self.retryable = true
            case .timedOut:
                self.init(.gatewayTimeout, "transfer_timed_out", error.description)
                self.retryable = true
            }
        case .initialize(let initialize):
            switch initialize {
            case .alreadyInitialized: self.init(.conflict, "already_initialized", error.description)
            case .storageLost: self.init(.conflict, "storage_lost", error.description)
            case .notAVoter, .invalidMembership: self.init(.badRequest, "invalid_membership", error.description)
            }
        }
    }
}
