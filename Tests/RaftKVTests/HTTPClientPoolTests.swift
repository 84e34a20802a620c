import Foundation
import Glibc
import Synchronization
import NIOHTTP1
import Testing
@testable import RaftKV

/// What the pool says when a request's copy may have reached a server that then died: a
/// follower forwarding a write turns these answers into "applied or not", so they must never
/// claim "not sent" for a request that may have arrived (raft-chaos found a CAS acknowledged
/// as `leader_unreachable` that had applied).
@Suite("RaftKV: HTTP client pool") struct HTTPClientPoolTests {
    /// Answers the first request on a connection, then reads the second, closes the
    /// connection without answering and stops listening, as a leader killed mid-request.
    final class DyingServer: @unchecked Sendable {
        let port: Int
        private let listener: Int32
        private let dead = Mutex(false)

        init() throws {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.listener = listener
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
            port = Int(UInt16(bigEndian: address.sin_port))
            guard listen(listener, 4) == 0 else { throw POSIXError(.EADDRINUSE) }
            Thread.detachNewThread { [self] in
                var connection: Int32
                repeat { connection = accept(listener, nil, nil) } while connection < 0 && errno == EINTR
                Self.readRequest(connection)
                let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
                _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                Self.readRequest(connection)
                close(listener)
                close(connection)
                self.dead.withLock { $0 = true }
            }
        }

        /// Reads until the end of a request's head (the tests send no bodies). A signal (the
        /// suite's child processes end and SIGCHLD arrives) interrupts `recv` without ending
        /// the request: it is retried, or the server would die before the request arrived.
        private static func readRequest(_ fd: Int32) {
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !received.ends(with: Array("\r\n\r\n".utf8)) {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return }
                received += buffer[0..<count]
            }
        }

        /// Polls rather than blocks: a blocked thread of Swift's small cooperative pool stalls
        /// every other test of the process.
        func waitUntilDead() async throws {
            while !dead.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    @Test(arguments: [false, true])
    func aRequestLostWithAStaleConnectionIsNotReportedAsNeverSent(resendIfStale: Bool) async throws {
        let server = try DyingServer()
        let pool = HTTPClientPool()
        let first = try await pool.send(to: "127.0.0.1:\(server.port)", method: .GET, path: "/first", timeout: .seconds(60))
        #expect(first.status == 200)
        do {
            _ = try await pool.send(to: "127.0.0.1:\(server.port)", method: .PUT, path: "/second", timeout: .seconds(60), resendIfStale: resendIfStale)
            Issue.record("the second request cannot have been answered")
        } catch let error as HTTPClientError {
            // The server read the request before dying: it may have acted on it. A refused
            // reconnect must not turn that into "could not connect".
            guard case .connectionClosed(receivedAny: false) = error else {
                Issue.record("expected a closed connection, got \(error)")
                return
            }
        }
        try await server.waitUntilDead()
        await pool.shutdown()
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
