import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Raft
import RaftCore

/// The HTTP API of one member: routes requests to the store, the node, or the leader.
final class KVAPI: Sendable {
    let node: RaftNode<StoreTypes>
    let store: StoreStateMachine
    let configuration: RaftKVConfiguration
    let selfAddress: MemberAddress
    let pool: HTTPClientPool
    let metrics: ServerMetrics
    /// The commit point when the node started: `/ready` waits until it is applied.
    let startCommitted: LogIndex
    /// `http` or `https`, for redirects.
    let scheme: String
    let logger: Logger

    init(
        node: RaftNode<StoreTypes>, store: StoreStateMachine, configuration: RaftKVConfiguration, selfAddress: MemberAddress,
        pool: HTTPClientPool, metrics: ServerMetrics, startCommitted: LogIndex, logger: Logger
    ) {
        self.node = node
        self.store = store
        self.configuration = configuration
        self.selfAddress = selfAddress
        self.pool = pool
        self.metrics = metrics
        self.startCommitted = startCommitted
        self.scheme = configuration.httpTLS == nil ? "http" : "https"
        self.logger = logger
    }

    /// Answers one request; every failure becomes a JSON error body.
    @Sendable func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let start = ContinuousClock.now
        var route = "unknown"
        let response: Response
        do {
            response = try await dispatch(request, route: &route)
        } catch {
            response = Self.errorResponse(error as? APIError ?? Self.internalError(error))
        }
        metrics.recordRequest(route: route, status: Int(response.status.code), duration: ContinuousClock.now - start)
        return response
    }

    private static func internalError(_ error: any Error) -> APIError {
        if let http = error as? HTTPError, http.status == .contentTooLarge {
            return APIError(.contentTooLarge, "body_too_large", "the request body is larger than this server accepts")
        }
        if error is NIOTooManyBytesError {
            return APIError(.contentTooLarge, "body_too_large", "the request body is larger than this server accepts")
        }
        return APIError(.internalServerError, "internal", "internal error: \(error)")
    }

    private func dispatch(_ request: Request, route: inout String) async throws -> Response {
        let target = try ParsedTarget(request.uri)
        let path = target.path
        let method = request.method
        if path.hasPrefix("/v1/kv/") {
            route = "kv"
            let key = String(path.dropFirst("/v1/kv/".count))
            switch method {
            case .get: return try await get(key: key, request, target)
            case .put: return try await put(key: key, request, target)
            case .delete: return try await delete(key: key, request, target)
            default: throw Self.methodNotAllowed(path, allowed: "GET, PUT, DELETE")
            }
        }
        switch path {
        case "/v1/kv":
            route = "kv_list"
            guard method == .get else { throw Self.methodNotAllowed(path, allowed: "GET") }
            return try await list(request, target)
        case "/v1/txn":
            route = "txn"
            guard method == .post else { throw Self.methodNotAllowed(path, allowed: "POST") }
            return try await transaction(request, target)
        case "/health":
            route = "health"
            guard method == .get else { throw Self.methodNotAllowed(path, allowed: "GET") }
            return Self.json(.ok, ["status": "up"])
        case "/ready":
            route = "ready"
            guard method == .get else { throw Self.methodNotAllowed(path, allowed: "GET") }
            return ready()
        case "/metrics":
            route = "metrics"
            guard method == .get else { throw Self.methodNotAllowed(path, allowed: "GET") }
            return metricsResponse()
        default:
            break
        }
        if path.hasPrefix("/v1/cluster/") {
            route = "cluster"
            try authorize(request)
            let admin = String(path.dropFirst("/v1/cluster/".count))
            let allowed = admin == "status" ? HTTPRequest.Method.get : .post
            guard ["status", "init", "learners", "members", "transfer-leader", "snapshot", "resume-voting"].contains(admin) else {
                throw APIError.notFound("no route \(path)", code: "unknown_route")
            }
            guard method == allowed else { throw Self.methodNotAllowed(path, allowed: allowed.rawValue) }
            switch admin {
            case "status": return status()
            case "init": return try await initialize(request)
            case "learners": return try await addLearner(request, target)
            case "members": return try await changeMembers(request, target)
            case "transfer-leader": return try await transferLeader(request, target)
            case "resume-voting": return try resumeVoting()
            default: return try await snapshot(request)
            }
        }
        throw APIError.notFound("no route \(path) (see the API in Sources/RaftKV/README.md)", code: "unknown_route")
    }

    private static func methodNotAllowed(_ path: String, allowed: String) -> APIError {
        APIError(.methodNotAllowed, "method_not_allowed", "\(path) takes \(allowed)")
    }

    private func authorize(_ request: Request) throws(APIError) {
        guard let token = configuration.adminToken else { return }
        let given = request.headers[.authorization] ?? ""
        guard Self.constantTimeEqual(given, "Bearer \(token)") else {
            throw APIError(.unauthorized, "unauthorized", "admin routes need the header Authorization: Bearer <admin token>")
        }
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<min(x.count, y.count) { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    // MARK: Responses

    static func json<Value: Encodable>(_ status: HTTPResponse.Status, _ value: Value, headers: HTTPFields = [:]) -> Response {
        bytes(status, JSON.encode(value), headers: headers)
    }

    static func bytes(_ status: HTTPResponse.Status, _ body: [UInt8], headers: HTTPFields = [:], contentType: String = "application/json") -> Response {
        var fields = headers
        fields[.contentType] = contentType
        fields[.contentLength] = String(body.count)
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func errorResponse(_ error: APIError) -> Response {
        var headers: HTTPFields = [:]
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        return json(error.status, error.body, headers: headers)
    }

    /// Where node `id` serves HTTP, from the membership (or the configured peers).
    func hint(_ id: NodeID?) -> LeaderHint? {
        guard let id else { return nil }
        let address = node.metrics.membership.membership.addresses[id] ?? configuration.peers[id]
        return LeaderHint(id: id, http: address?.http, raft: address?.raft)
    }

    /// The answer to a failed Raft call.
    func apiError(_ error: RaftError<MemberAddress>) -> APIError {
        APIError(error, leader: { self.hint($0) })
    }

    // MARK: Bodies

    /// The request body, at most `limit` bytes.
    func body(of request: Request, limit: Int) async throws -> [UInt8] {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "body_too_large", "the request body is larger than \(limit) bytes")
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "the request body is larger than \(limit) bytes")
        }
    }

    func checkKey(_ key: String) throws(APIError) {
        if key.isEmpty { throw .badRequest("the key is empty", code: "invalid_key") }
        if key.utf8.count > configuration.maxKeyBytes {
            throw APIError(.contentTooLarge, "key_too_large", "the key has \(key.utf8.count) bytes; at most \(configuration.maxKeyBytes) are allowed")
        }
    }

    func checkValue(_ value: String) throws(APIError) {
        if value.utf8.count > configuration.maxValueBytes {
            throw APIError(.contentTooLarge, "value_too_large", "the value has \(value.utf8.count) bytes; at most \(configuration.maxValueBytes) are allowed")
        }
    }
}
