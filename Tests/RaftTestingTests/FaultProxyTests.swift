import Glibc
import RaftTesting
import Synchronization
import Testing

/// The fault-injecting TCP proxy, against a small echo server.
@Suite("FaultProxy", .ownThread)
struct FaultProxyTests {
    /// Echoes every byte back, one thread per connection.
    final class EchoServer: @unchecked Sendable {
        let fd: Int32
        let port: Int

        init() {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            listen(fd, 16)
            var bound = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            port = Int(UInt16(bigEndian: bound.sin_port))
            let listener = fd
            spawn {
                while true {
                    let connection = accept(listener, nil, nil)
                    if connection < 0 { return }
                    spawn {
                        var buffer = [UInt8](repeating: 0, count: 4096)
                        while true {
                            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                            if count <= 0 { break }
                            _ = buffer.withUnsafeBytes { send(connection, $0.baseAddress, count, Int32(MSG_NOSIGNAL)) }
                        }
                        close(connection)
                    }
                }
            }
        }

        func stop() {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    /// A client connection with a receive timeout.
    final class Client {
        let fd: Int32

        init(port: Int) {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }

        deinit { close(fd) }

        func send(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

        /// Reads until `count` bytes arrived; what arrived before the timeout, or nil on a closed
        /// connection.
        /// `timeoutMillis` is long for bytes that should come (a loaded machine may take a
        /// while to schedule the proxy's threads) and short where silence is expected.
        func receive(_ count: Int, timeoutMillis: Int = 5000) -> String? {
            var timeout = timeval(tv_sec: timeoutMillis / 1000, tv_usec: (timeoutMillis % 1000) * 1000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while bytes.count < count {
                let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if received == 0 || (received < 0 && errno == ECONNRESET) { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
                if received < 0 { break }
                bytes.append(contentsOf: buffer[0..<received])
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    @Test func forwardsDelaysDiscardsHoldsAndCloses() throws {
        let echo = EchoServer()
        let proxy = try FaultProxy(forwardingTo: "127.0.0.1", port: echo.port)
        let client = Client(port: proxy.port)

        client.send("hello")
        #expect(client.receive(5) == "hello")

        proxy.set(.delay(.milliseconds(150)), for: .toServer)
        let start = ContinuousClock.now
        client.send("later")
        #expect(client.receive(5) == "later")
        #expect(ContinuousClock.now - start >= .milliseconds(150))

        proxy.set(.discard, for: .toClient)
        proxy.set(.pass, for: .toServer)
        client.send("lost")
        #expect(client.receive(4, timeoutMillis: 300) == "", "the answer is discarded, the connection stays open")
        #expect(proxy.statistics.discarded[.toClient] == 4)

        proxy.set(.hold, for: .toClient)
        client.send("held")
        #expect(client.receive(4, timeoutMillis: 300) == "")
        proxy.heal()
        #expect(client.receive(4) == "held", "held bytes flow once healed")

        proxy.set(.close, for: .toServer)
        #expect(client.receive(1) == nil, "the connection is closed")
        let refused = Client(port: proxy.port)
        refused.send("x")
        #expect(refused.receive(1) == nil, "new connections are closed too")
        #expect(proxy.statistics.refused >= 1)

        proxy.heal()
        let again = Client(port: proxy.port)
        again.send("back")
        #expect(again.receive(4) == "back")
        proxy.dropConnections()
        #expect(again.receive(1) == nil)
        proxy.stop()
        echo.stop()
    }

    @Test func delayedAndNewBytesKeepTheirOrder() throws {
        let echo = EchoServer()
        let proxy = try FaultProxy(forwardingTo: "127.0.0.1", port: echo.port)
        let client = Client(port: proxy.port)
        client.send("warm")
        #expect(client.receive(4) == "warm")
        proxy.set(.delay(.milliseconds(200)), for: .toServer)
        let start = ContinuousClock.now
        client.send("first-")
        // Once the proxy holds "first-" in its delay, lifting the delay must not let
        // "second" overtake it.
        usleep(50_000)
        proxy.set(.pass, for: .toServer)
        client.send("second")
        #expect(client.receive(12) == "first-second")
        #expect(ContinuousClock.now - start >= .milliseconds(200))
        proxy.stop()
        echo.stop()
    }
}

private func spawn(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    pthread_create(&thread, nil, { argument in
        Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
        return nil
    }, Unmanaged.passRetained(Box(body)).toOpaque())
    pthread_detach(thread)
}
