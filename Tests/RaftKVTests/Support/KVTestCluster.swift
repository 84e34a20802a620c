import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Raft
import RaftCore
import RaftKV
import Testing

/// An HTTP answer as a test reads it.
struct Answer: CustomStringConvertible {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    var code: String? { json["code"] as? String }
    var description: String { "\(status) \(text)" }
}

/// RaftKV servers in this process, each with its own data directory, Raft port and HTTP
/// port on 127.0.0.1, talked to over real HTTP (AsyncHTTPClient).
final class KVTestCluster: @unchecked Sendable {
    static let logger: Logger = {
        var logger = Logger(label: "raft-kv-test")
        logger.logLevel = .error
        return logger
    }()

    let root: String
    let http: HTTPClient
    var adminToken: String?
    private(set) var servers: [NodeID: RaftKVServer] = [:]
    /// Each node's listen addresses, kept across restarts.
    private(set) var addresses: [NodeID: MemberAddress] = [:]

    /// `http`, or `https` when the client was given TLS settings.
    let scheme: String
    /// Applied to every node's configuration.
    var configure: @Sendable (inout RaftKVConfiguration) -> Void = { _ in }

    init(adminToken: String? = nil, clientTLS: TLSConfiguration? = nil) {
        root = NSTemporaryDirectory() + "raft-kv-test-\(UUID().uuidString)"
        scheme = clientTLS == nil ? "http" : "https"
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = clientTLS
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.adminToken = adminToken
    }

    /// Starts `count` nodes and forms a cluster of them through node 1's init route.
    static func start(nodes count: Int = 3, adminToken: String? = nil) async throws -> KVTestCluster {
        try await KVTestCluster(adminToken: adminToken).formed(nodes: count)
    }

    /// Starts `count` nodes and forms a cluster of them through node 1's init route.
    /// On failure everything started is shut down first: a client dropped without its
    /// shutdown stops the whole test process.
    func formed(nodes count: Int) async throws -> KVTestCluster {
        do {
            return try await form(nodes: count)
        } catch {
            await shutdown()
            throw error
        }
    }

    private func form(nodes count: Int) async throws -> KVTestCluster {
        let cluster = self
        for id in 1...NodeID(count) { try await cluster.startNode(id) }
        let members = cluster.addresses.keys.sorted().map { id in
            ["id": "\(id)", "raft": cluster.addresses[id]!.raft, "http": cluster.addresses[id]!.http]
        }
        let body = "{\"members\":[" + members.map { "{\"id\":\($0["id"]!),\"raft\":\"\($0["raft"]!)\",\"http\":\"\($0["http"]!)\"}" }.joined(separator: ",") + "]}"
        let answer = try await cluster.send(.POST, to: 1, "/v1/cluster/init", body: body)
        #expect(answer.status == 200, "init: \(answer)")
        let leader = try await cluster.waitForLeader()
        // Every node knows the whole membership (a node learns the leader from its vote,
        // before the membership entry reaches it).
        let voters = Set(cluster.servers.keys)
        let committed = cluster.servers[leader]!.node.metrics.committed.indexOrZero
        try await cluster.eventually("every node applied the initial membership") {
            cluster.servers.values.allSatisfy { $0.node.metrics.membership.config.voterIDs == voters && $0.node.metrics.appliedIndex >= committed }
        }
        return cluster
    }

    func configuration(_ id: NodeID) -> RaftKVConfiguration {
        let listen = addresses[id]
        var configuration = RaftKVConfiguration(
            id: id, dataDirectory: root + "/node-\(id)", raftListen: listen?.raft ?? "127.0.0.1:0", httpListen: listen?.http ?? "127.0.0.1:0")
        configuration.adminToken = adminToken
        configuration.forwardTimeout = .seconds(10)
        configuration.requestTimeout = .seconds(10)
        // Quicker than raft-kv's 1-2 s, so fail-over tests wait less, but not the engine's
        // 150-300 ms: on a loaded machine (load average 20+) those made followers campaign
        // between a test's requests and answer no_leader.
        configuration.raft.engine.heartbeatInterval = .milliseconds(100)
        configuration.raft.engine.electionTimeoutMin = .milliseconds(600)
        configuration.raft.engine.electionTimeoutMax = .milliseconds(1200)
        configuration.raft.engine.leaseDuration = .milliseconds(300)
        configure(&configuration)
        return configuration
    }

    /// Starts node `id` (again, from its data directory, on its old ports after a stop).
    @discardableResult
    func startNode(_ id: NodeID, configure: (inout RaftKVConfiguration) -> Void = { _ in }) async throws -> RaftKVServer {
        var configuration = configuration(id)
        configure(&configuration)
        let server = RaftKVServer(configuration: configuration, logger: Self.logger)
        // A port just released may linger briefly.
        var attempt = 0
        while true {
            do {
                try await server.start()
                break
            } catch {
                attempt += 1
                if attempt >= 20 { throw error }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        servers[id] = server
        addresses[id] = server.address
        return server
    }

    func stop(_ id: NodeID, graceful: Bool = true) async {
        guard let server = servers.removeValue(forKey: id) else { return }
        if graceful { await server.shutdown() } else { await server.kill() }
    }

    private var shutDown = false

    deinit {
        // A test that threw before its shutdown: AsyncHTTPClient stops the process when a
        // client is dropped unshut, so the task keeps it until it is.
        if !shutDown {
            let http = self.http
            Task { try? await http.shutdown() }
        }
    }

    func shutdown() async {
        shutDown = true
        // The client's idle keep-alive connections first: a server's graceful shutdown waits
        // for open connections to close.
        try? await http.shutdown()
        for id in servers.keys.sorted() { await stop(id) }
        try? FileManager.default.removeItem(atPath: root)
    }

    func url(_ id: NodeID, _ path: String) -> String { "\(scheme)://\(addresses[id]!.http)\(path)" }

    /// Sends a request to node `id`.
    func send(_ method: HTTPMethod, to id: NodeID, _ path: String, body: String? = nil, headers: [(String, String)] = []) async throws -> Answer {
        try await send(method, url: url(id, path), body: body.map { Array($0.utf8) }, headers: headers)
    }

    func send(_ method: HTTPMethod, url: String, body: [UInt8]? = nil, headers: [(String, String)] = [], timeout: Duration = .seconds(30)) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token = adminToken, url.contains("/v1/cluster/") { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await http.execute(request, timeout: .nanoseconds(Int64(timeout / .nanoseconds(1))))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
    }

    /// The node that leads, once every running node agrees on one.
    func waitForLeader(excluding excluded: Set<NodeID> = [], timeout: Duration = .seconds(30)) async throws -> NodeID {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let leaders = Set(servers.values.map { $0.node.metrics.currentLeader })
            if leaders.count == 1, let leader = leaders.first!, !excluded.contains(leader),
               servers[leader]?.node.metrics.isLeader == true {
                return leader
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("no leader agreed on within \(timeout)")
    }

    /// Waits until `condition` holds, polling.
    func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("timed out waiting until \(what)")
    }

    func followers(of leader: NodeID) -> [NodeID] { servers.keys.sorted().filter { $0 != leader } }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` against a fresh cluster and shuts the cluster down afterwards, also when
/// `body` throws.
func withCluster(nodes: Int = 3, adminToken: String? = nil, _ body: (KVTestCluster) async throws -> Void) async throws {
    let cluster = try await KVTestCluster.start(nodes: nodes, adminToken: adminToken)
    do {
        try await body(cluster)
    } catch {
        await cluster.shutdown()
        throw error
    }
    await cluster.shutdown()
}
