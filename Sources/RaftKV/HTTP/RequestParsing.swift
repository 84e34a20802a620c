import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// A request's path split from its query, both decoded.
struct ParsedTarget: Sendable {
    /// The path, percent-decoded.
    var path: String
    /// The query parameters, decoded (`+` as space); the last of repeated names wins.
    var query: [String: String]
    /// The raw path and query as received, for forwarding.
    var raw: String

    init(_ uri: URI) throws(APIError) {
        raw = uri.string
        let rawPath = uri.path
        guard let decoded = rawPath.removingPercentEncoding else {
            throw .badRequest("the path is not valid percent-encoded UTF-8", code: "invalid_path")
        }
        path = decoded
        query = [:]
        for pair in (uri.query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            let value = (parts.count > 1 ? String(parts[1]) : "").replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            guard let name, let value else {
                throw .badRequest("the query parameter \(pair) is not valid percent-encoded UTF-8", code: "invalid_query")
            }
            query[name] = value
        }
    }

    /// A boolean query parameter (`true`/`false`/`1`/`0`, or present without a value: true).
    func flag(_ name: String) throws(APIError) -> Bool? {
        guard let value = query[name] else { return nil }
        switch value.lowercased() {
        case "", "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw .badRequest("query parameter \(name) must be true or false, not \(value)", code: "invalid_query")
        }
    }

    /// The query parameters that are not in `known`.
    func unknownParameters(_ known: Set<String>) -> [String] {
        query.keys.filter { !known.contains($0) }.sorted()
    }
}

extension HTTPField.Name {
    /// With `Raft-Request-Id`: the client whose request sequence number that is.
    static let raftClientID = HTTPField.Name("Raft-Client-Id")!
    /// A write's sequence number within its client (1, 2, 3...; a retry repeats it).
    static let raftRequestID = HTTPField.Name("Raft-Request-Id")!
    /// Set by a follower on a request it forwards, so the leader never forwards it again.
    static let raftForwardedBy = HTTPField.Name("Raft-Forwarded-By")!
}

/// JSON in and out.
enum JSON {
    static func encode<Value: Encodable>(_ value: Value) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return Array(try encoder.encode(value))
        } catch {
            preconditionFailure("JSON encoding of \(Value.self) failed: \(error)")
        }
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws(APIError) -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw .badRequest("the body is not the JSON this route takes: \(Self.describe(error))", code: "invalid_json")
        } catch {
            throw .badRequest("the body is not valid JSON: \(error)", code: "invalid_json")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "" : " at \(path)"
        }
        switch error {
        case .typeMismatch(_, let context): return "wrong type\(path(context)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "missing value\(path(context))"
        case .keyNotFound(let key, let context): return "missing field \"\(key.stringValue)\"\(path(context))"
        case .dataCorrupted(let context): return "malformed JSON\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
