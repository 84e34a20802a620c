import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Raft
import RaftCore

/// How a read is served.
enum ReadConsistency: String {
    /// The leader confirms it still leads (a quorum round trip) and has applied everything
    /// committed before the read.
    case linearizable
    /// The leader reads while its lease holds (assumes bounded clock drift).
    case lease
    /// Whichever node is asked reads its own applied state: may be behind.
    case stale
}

extension KVAPI {
    static let maxListLimit = 10_000
    static let maxTransactionOperations = 128

    private func consistency(_ target: ParsedTarget) throws(APIError) -> ReadConsistency {
        guard let text = target.query["consistency"] else { return .linearizable }
        guard let consistency = ReadConsistency(rawValue: text) else {
            throw .badRequest("consistency must be linearizable, lease or stale, not \(text)", code: "invalid_query")
        }
        return consistency
    }

    private func rejectUnknown(_ target: ParsedTarget, _ known: Set<String>) throws(APIError) {
        let unknown = target.unknownParameters(known)
        if !unknown.isEmpty {
            throw .badRequest("unknown query parameter \(unknown.joined(separator: ", ")); this route takes \(known.sorted().joined(separator: ", "))", code: "invalid_query")
        }
    }

    /// Nil when the read may be served here (after confirming leadership as asked).
    private func prepareRead(_ request: Request, _ target: ParsedTarget) async throws -> Response? {
        let consistency = try consistency(target)
        if consistency == .stale || configuration.unsafeLocalReads { return nil }
        if let forwarded = try await forwardUnlessLeader(request, target, body: nil, isWrite: false) { return forwarded }
        do {
            try await node.ensureLinearizable(policy: consistency == .lease ? .lease : .readIndex, timeout: configuration.requestTimeout)
        } catch {
            throw apiError(error)
        }
        return nil
    }

    func get(key: String, _ request: Request, _ target: ParsedTarget) async throws -> Response {
        try rejectUnknown(target, ["consistency", "redirect"])
        try checkKey(key)
        if let forwarded = try await prepareRead(request, target) { return forwarded }
        guard let value = store.value(forKey: key) else {
            throw APIError.notFound("no key \(key)", code: "key_not_found")
        }
        return Self.json(.ok, KeyValueBody(key: key, value: value))
    }

    func list(_ request: Request, _ target: ParsedTarget) async throws -> Response {
        try rejectUnknown(target, ["consistency", "redirect", "prefix", "limit"])
        let prefix = target.query["prefix"] ?? ""
        var limit = 100
        if let text = target.query["limit"] {
            guard let value = Int(text), value > 0, value <= Self.maxListLimit else {
                throw APIError.badRequest("limit must be a number from 1 to \(Self.maxListLimit), not \(text)", code: "invalid_query")
            }
            limit = value
        }
        if let forwarded = try await prepareRead(request, target) { return forwarded }
        let pairs = store.list(prefix: prefix, limit: limit + 1)
        let items = pairs.prefix(limit).map { KeyValueBody(key: $0.key, value: $0.value) }
        return Self.json(.ok, ListBody(items: Array(items), more: pairs.count > limit))
    }

    func put(key: String, _ request: Request, _ target: ParsedTarget) async throws -> Response {
        try rejectUnknown(target, ["redirect", "prevValue", "prevExist"])
        try checkKey(key)
        let bytes = try await body(of: request, limit: configuration.maxValueBytes)
        guard let value = String(validating: bytes, as: UTF8.self) else {
            throw APIError.badRequest("the value is not valid UTF-8", code: "invalid_value")
        }
        try checkValue(value)
        let plain: StoreCommand
        switch (target.query["prevValue"], try target.flag("prevExist")) {
        case (nil, nil): plain = .put(key: key, value: value)
        case (let expected?, nil), (let expected?, true?): plain = .compareAndSet(key: key, expected: expected, new: value)
        case (nil, false?): plain = .compareAndSet(key: key, expected: nil, new: value)
        case (nil, true?):
            throw APIError.badRequest("prevExist=true needs prevValue (or use POST /v1/txn with an exists compare)", code: "invalid_query")
        case (_?, false?):
            throw APIError.badRequest("prevValue and prevExist=false contradict each other", code: "invalid_query")
        }
        let command = try exactlyOnce(plain, request)
        if let forwarded = try await forwardUnlessLeader(request, target, body: bytes, isWrite: true) { return forwarded }
        let result = try await write(command)
        return try writeResponse(key: key, result, delete: false)
    }

    func delete(key: String, _ request: Request, _ target: ParsedTarget) async throws -> Response {
        try rejectUnknown(target, ["redirect", "prevValue"])
        try checkKey(key)
        let command = try exactlyOnce(
            target.query["prevValue"].map { .compareAndSet(key: key, expected: $0, new: nil) } ?? .delete(key: key), request)
        if let forwarded = try await forwardUnlessLeader(request, target, body: nil, isWrite: true) { return forwarded }
        let result = try await write(command)
        return try writeResponse(key: key, result, delete: true)
    }

    private func writeResponse(key: String, _ result: StoreResult, delete: Bool) throws(APIError) -> Response {
        switch result.outcome {
        case .written(let previous):
            return Self.bytes(.ok, WriteBody(key: key, index: result.index, term: result.term, previous: previous, deleted: delete ? previous != nil : nil).json)
        case let .compareAndSet(succeeded, current):
            guard succeeded else {
                var error = APIError(.preconditionFailed, "compare_failed", "the key's value is not the expected one; nothing was written")
                error.current = .some(current)
                throw error
            }
            return Self.json(.ok, WriteBody(key: key, index: result.index, term: result.term, previous: nil, deleted: delete ? true : nil))
        case .transaction, .requestExpired:
            throw Self.expired(result)
        }
    }

    private static func expired(_ result: StoreResult) -> APIError {
        APIError(.conflict, "request_expired", "the request id is older than what the store remembers of this client: it was not applied now, and whether it was applied before is unknown; start a new client id")
    }

    func transaction(_ request: Request, _ target: ParsedTarget) async throws -> Response {
        try rejectUnknown(target, ["redirect"])
        let bytes = try await body(of: request, limit: configuration.maxValueBytes + 64 * 1024)
        let body = try JSON.decode(TransactionRequest.self, from: bytes)
        let compares = try (body.compare ?? []).map { compare throws(APIError) -> StoreCompare in
            try checkKey(compare.key)
            switch (compare.value, compare.exists) {
            case (let value?, nil), (let value?, true?): return .valueEquals(key: compare.key, value: value)
            case (nil, let exists?): return .exists(key: compare.key, exists)
            default: throw APIError.badRequest("a compare of \(compare.key) needs value or exists", code: "invalid_txn")
            }
        }
        func operations(_ list: [TransactionRequest.Operation]?) throws(APIError) -> [StoreOperation] {
            try (list ?? []).map { operation throws(APIError) -> StoreOperation in
                try checkKey(operation.key)
                switch (operation.op, operation.value) {
                case ("put", let value?):
                    try checkValue(value)
                    return .put(key: operation.key, value: value)
                case ("delete", nil): return .delete(key: operation.key)
                default: throw APIError.badRequest("an operation is {\"op\":\"put\",\"key\":K,\"value\":V} or {\"op\":\"delete\",\"key\":K}", code: "invalid_txn")
                }
            }
        }
        let transaction = StoreTransaction(compares: compares, success: try operations(body.success), failure: try operations(body.failure))
        let count = transaction.compares.count + transaction.success.count + transaction.failure.count
        guard count <= Self.maxTransactionOperations else {
            throw APIError.badRequest("a transaction has at most \(Self.maxTransactionOperations) compares and operations, not \(count)", code: "invalid_txn")
        }
        let command = try exactlyOnce(.transaction(transaction), request)
        if let forwarded = try await forwardUnlessLeader(request, target, body: bytes, isWrite: true) { return forwarded }
        let result = try await write(command)
        guard case .transaction(let succeeded) = result.outcome else { throw Self.expired(result) }
        return Self.json(.ok, TransactionBody(succeeded: succeeded, index: result.index, term: result.term))
    }

    /// Wraps `command` in the request's exactly-once session, when it names one.
    private func exactlyOnce(_ command: StoreCommand, _ request: Request) throws(APIError) -> StoreCommand {
        let client = request.headers[.raftClientID]
        let sequence = request.headers[.raftRequestID]
        switch (client, sequence) {
        case (nil, nil): return command
        case (let client?, let sequence?):
            guard let clientID = UInt64(client), let number = UInt64(sequence), number > 0 else {
                throw .badRequest("Raft-Client-Id and Raft-Request-Id are decimal numbers (the request id from 1)", code: "invalid_request_id")
            }
            return .exactlyOnce(client: clientID, sequence: number, command: command)
        default:
            throw .badRequest("Raft-Request-Id and Raft-Client-Id go together", code: "invalid_request_id")
        }
    }

    private func write(_ command: StoreCommand) async throws(APIError) -> StoreResult {
        do {
            return try await node.write(command, timeout: configuration.requestTimeout)
        } catch {
            throw apiError(error)
        }
    }
}
