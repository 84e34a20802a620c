import Foundation
import Glibc
import Synchronization

/// A peer that accepts one connection, answers its handshake, and then never reads again:
/// the client's socket buffers fill up, as with a peer that hangs.
final class StallingPeer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let connection = Box()
    private let thread: Thread

    init(nodeID: UInt64) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(listener, 4)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: bound.sin_port))
        let connection = self.connection
        thread = Thread {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            connection.fd.withLock { $0 = fd }
            // Read the hello (length first), then answer it.
            var header = [UInt8](repeating: 0, count: 4)
            guard recv(fd, &header, 4, Int32(MSG_WAITALL)) == 4 else { return }
            let length = Int(header.reduce(0) { $0 << 8 | UInt32($1) })
            var rest = [UInt8](repeating: 0, count: length)
            guard recv(fd, &rest, length, Int32(MSG_WAITALL)) == length else { return }
            var body: [UInt8] = [1]
            withUnsafeBytes(of: nodeID.bigEndian) { body.append(contentsOf: $0) }
            let accepted = RawFrames.frame(kind: 2, body: body)
            _ = accepted.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        thread.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        connection.fd.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }
}

private final class Box: Sendable {
    let fd = Mutex<Int32>(-1)
}
