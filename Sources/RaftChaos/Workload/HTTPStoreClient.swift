import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The chaos clients' and the harness's way into the cluster: raft-kv's HTTP API, one
/// keep-alive connection pool for all of it (AsyncHTTPClient).
///
/// Every request has a deadline: a node that is paused or cut off answers nothing, and
/// the request ends as `unknown`. Writes carry a client id and request id, so the store
/// applies each at most once.
final class HTTPStoreClient: ChaosStoreClient, Sendable {
    private let client: HTTPClient
    private let layout: ClusterLayout
    let requestTimeout: TimeAmount
    private let requestCounter = RequestCounter()

    init(layout: ClusterLayout, requestTimeout: Duration) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(1), read: .init(requestTimeout))
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.layout = layout
        self.requestTimeout = .init(requestTimeout)
    }

    func shutdown() async { try? await client.shutdown() }

    // MARK: The workload's requests

    func get(_ key: String, from node: Int, consistency: ReadConsistency) async -> ClientAnswer<String?> {
        let answer = await send(.GET, node: node, path: "/v1/kv/\(Self.escape(key))?consistency=\(consistency.rawValue)")
        switch answer {
        case .answered(200, let body):
            guard let value = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any], let text = value["value"] as? String else {
                return .unknown("unreadable read answer: \(String(decoding: body, as: UTF8.self))")
            }
            return .ok(text)
        case .answered(404, let body) where APIErrorBody(body)?.code == "key_not_found":
            return .ok(nil)
        case .answered(let status, let body):
            // A read that failed changed nothing, whatever the reason.
            return .fail("\(status) \(APIErrorBody(body)?.code ?? "")")
        case .noAnswer(let why):
            return .unknown(why)
        }
    }

    func put(_ key: String, _ value: String, on node: Int) async -> ClientAnswer<Void> {
        let answer = await send(.PUT, node: node, path: "/v1/kv/\(Self.escape(key))", body: value, exactlyOnce: true)
        switch answer {
        case .answered(200, _): return .ok(())
        case .answered(let status, let body): return Self.writeFailure(status, body)
        case .noAnswer(let why): return .unknown(why)
        }
    }

    func compareAndSet(_ key: String, expected: String?, new: String, on node: Int) async -> ClientAnswer<Bool> {
        let condition = expected.map { "prevValue=\(Self.escape($0))" } ?? "prevExist=false"
        let answer = await send(.PUT, node: node, path: "/v1/kv/\(Self.escape(key))?\(condition)", body: new, exactlyOnce: true)
        switch answer {
        case .answered(200, _): return .ok(true)
        case .answered(412, _): return .ok(false)
        case .answered(let status, let body): return Self.writeFailure(status, body)
        case .noAnswer(let why): return .unknown(why)
        }
    }

    /// A write's error answer: a definite "not applied" only when the server says so.
    private static func writeFailure<Value>(_ status: Int, _ body: [UInt8]) -> ClientAnswer<Value> {
        guard let error = APIErrorBody(body) else { return .unknown("\(status) without an error body") }
        return error.mayHaveBeenApplied ? .unknown("\(status) \(error.code)") : .fail("\(status) \(error.code)")
    }

    // MARK: Admin

    /// The node's `/v1/cluster/status`, or nil when it does not answer.
    func status(_ node: Int, timeout: Duration = .seconds(2)) async -> NodeStatus? {
        guard case .answered(200, let body) = await send(.GET, node: node, path: "/v1/cluster/status", timeout: timeout) else { return nil }
        return try? JSONDecoder().decode(NodeStatus.self, from: Data(body))
    }

    /// Sends an admin request; nil on success, else why it failed.
    func admin(_ method: HTTPMethod, node: Int, path: String, json: String? = nil, timeout: Duration = .seconds(10)) async -> String? {
        switch await send(method, node: node, path: path, body: json, json: json != nil, timeout: timeout) {
        case .answered(let status, _) where (200..<300).contains(status): return nil
        case .answered(let status, let body): return "\(status) \(String(decoding: body, as: UTF8.self))"
        case .noAnswer(let why): return why
        }
    }

    /// Every key and value node `node` holds, read locally (stale), or nil.
    func dump(_ node: Int) async -> [String: String]? {
        guard case .answered(200, let body) = await send(.GET, node: node, path: "/v1/kv?prefix=&limit=10000&consistency=stale"),
              let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
              let items = object["items"] as? [[String: Any]] else { return nil }
        var values: [String: String] = [:]
        for item in items {
            if let key = item["key"] as? String, let value = item["value"] as? String { values[key] = value }
        }
        return values
    }

    // MARK: Transport

    enum Answer {
        case answered(Int, [UInt8])
        case noAnswer(String)
    }

    private func send(_ method: HTTPMethod, node: Int, path: String, body: String? = nil, json: Bool = false,
                      exactlyOnce: Bool = false, timeout: Duration? = nil) async -> Answer {
        var request = HTTPClientRequest(url: layout.httpURL(node) + path)
        request.method = method
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
            request.headers.add(name: "Content-Type", value: json ? "application/json" : "application/octet-stream")
        }
        if exactlyOnce {
            let (client, sequence) = requestCounter.next()
            request.headers.add(name: "Raft-Client-Id", value: "\(client)")
            request.headers.add(name: "Raft-Request-Id", value: "\(sequence)")
        }
        do {
            let response = try await client.execute(request, timeout: timeout.map { TimeAmount($0) } ?? requestTimeout)
            let bytes = try await response.body.collect(upTo: 64 << 20)
            return .answered(Int(response.status.code), Array(buffer: bytes))
        } catch {
            return .noAnswer("\(error)")
        }
    }

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? text
    }
}

/// Exactly-once ids: each request is its own client sequence, since the workload never
/// retries (a retry would reuse both).
private final class RequestCounter: Sendable {
    private let counter = Mutex<UInt64>(0)
    private let base = UInt64.random(in: 1...(1 << 40))
    func next() -> (client: UInt64, sequence: UInt64) {
        let value = counter.withLock { value -> UInt64 in value += 1; return value }
        return (base, value)
    }
}

/// The JSON error body raft-kv answers with.
struct APIErrorBody: Decodable {
    var code: String
    var message: String
    var mayHaveBeenApplied: Bool
    init?(_ bytes: [UInt8]) {
        guard let decoded = try? JSONDecoder().decode(APIErrorBody.self, from: Data(bytes)) else { return nil }
        self = decoded
    }
}

/// What the harness reads of `/v1/cluster/status`.
struct NodeStatus: Decodable, Sendable {
    struct Leader: Decodable, Sendable { var id: UInt64 }
    struct Membership: Decodable, Sendable { var voters: [UInt64]; var learners: [UInt64]; var joint: Bool }
    struct Position: Decodable, Sendable { var index: UInt64; var term: UInt64 }
    var id: UInt64
    var role: String
    var term: UInt64
    var leader: Leader?
    var lastLog: Position?
    var committed: UInt64
    var applied: UInt64
    var snapshot: UInt64?
    var purged: UInt64?
    var membership: Membership
    var votingSuspended: Bool
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
