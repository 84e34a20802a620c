import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Keep-alive HTTP connections to any number of servers, reused between requests: what a
/// follower forwards through, and what `ctl` talks through.
public final class HTTPClientPool: Sendable {
    private let idle = Mutex<[String: [HTTPConnection]]>([:])
    private let tls: NIOSSLContext?
    private let group: any EventLoopGroup
    private let maxIdlePerServer: Int

    /// A pool; `tls` set: every connection is HTTPS.
    public init(tls: NIOSSLContext? = nil, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, maxIdlePerServer: Int = 64) {
        self.tls = tls
        self.group = group
        self.maxIdlePerServer = maxIdlePerServer
    }

    /// Sends a request to `address` (`host:port`) and returns its response.
    ///
    /// A reused connection may have been closed by the server while it sat idle; when one
    /// fails before any of the response arrived, and `resendIfStale` allows it, the request
    /// is sent once more on a new connection. The first copy may have reached the server just
    /// before the connection closed, so only requests that may arrive twice allow it: reads,
    /// and writes with a request id (which the store applies once). Otherwise the failure is
    /// thrown as it is, and a write's outcome is unknown.
    ///
    /// `HTTPClientError.connect` means no copy of the request left this process: it
    /// definitely did not take effect.
    public func send(
        to address: String, method: HTTPMethod, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil, timeout: Duration,
        resendIfStale: Bool = true
    ) async throws -> HTTPReply {
        let start = ContinuousClock.now
        var sentBefore = false
        if let reused = takeIdle(address) {
            do {
                let reply = try await reused.send(method: method, path: path, headers: headers, body: body, timeout: timeout)
                release(reused, address: address, reply: reply)
                return reply
            } catch HTTPClientError.connectionClosed(receivedAny: false) {
                await reused.close()
                guard resendIfStale else { throw HTTPClientError.connectionClosed(receivedAny: false) }
                sentBefore = true
            }
        }
        let remaining = timeout - (ContinuousClock.now - start)
        guard remaining > .zero else { throw HTTPClientError.timeout }
        guard let (host, port) = Self.split(address) else { throw HTTPClientError.connect("not a host:port address: \(address)") }
        let connection: HTTPConnection
        do {
            connection = try await HTTPConnection.connect(host: host, port: port, tls: tls, group: group, connectTimeout: min(remaining, .seconds(2)))
        } catch HTTPClientError.connect where sentBefore {
            // The copy sent on the stale connection may have arrived: not "definitely not sent".
            throw HTTPClientError.connectionClosed(receivedAny: false)
        }
        let reply = try await connection.send(method: method, path: path, headers: headers, body: body, timeout: timeout - (ContinuousClock.now - start))
        release(connection, address: address, reply: reply)
        return reply
    }

    /// Closes every idle connection.
    public func shutdown() async {
        let connections = idle.withLock { idle in
            defer { idle.removeAll() }
            return idle.values.flatMap { $0 }
        }
        for connection in connections { await connection.close() }
    }

    private func takeIdle(_ address: String) -> HTTPConnection? {
        idle.withLock { idle in
            while let connection = idle[address]?.popLast() {
                if connection.isActive { return connection }
            }
            return nil
        }
    }

    private func release(_ connection: HTTPConnection, address: String, reply: HTTPReply) {
        let keep = connection.isActive && reply.header("connection")?.lowercased() != "close" && idle.withLock { idle in
            guard idle[address, default: []].count < maxIdlePerServer else { return false }
            idle[address, default: []].append(connection)
            return true
        }
        if !keep { connection.channel.close(promise: nil) }
    }

    /// `host:port` (`[v6]:port` too) split in two.
    static func split(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
