import Foundation
import Glibc
import Raft
import RaftCore
import RaftNIO

/// A plain blocking TCP socket to 127.0.0.1, for feeding a server bytes no RaftNIO client
/// would send.
final class RawSocket {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawSocketError(what: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw RawSocketError(what: "connect")
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return false }
            sent += written
        }
        return true
    }

    /// Reads exactly `count` bytes; nil at end of stream, an error or the timeout.
    func read(_ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let received = bytes[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received <= 0 { return nil }
            got += received
        }
        return bytes
    }

    /// The next frame: its kind and body (checksum dropped).
    func readFrame() -> (kind: UInt8, body: [UInt8])? {
        guard let lengthBytes = read(4) else { return nil }
        let length = Int(lengthBytes.reduce(0) { $0 << 8 | UInt32($1) })
        guard length >= 24, length < 1 << 20, let rest = read(length) else { return nil }
        let flags = rest[4]
        let bodyEnd = rest.count - (flags & 1 != 0 ? 4 : 0)
        return (rest[3], Array(rest[24..<bodyEnd]))
    }

    /// Ends this side's writes: the server sees end of stream.
    func closeWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Whether the server closes the connection (reads until end of stream, up to the timeout).
    func waitClosed() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received == 0 { return true }
            if received < 0 { return errno == ECONNRESET }
        }
    }
}

struct RawSocketError: Error {
    var what: String
}

/// Frames built by hand, following `Sources/RaftNIO/Wire/README.md` (independently of the
/// library's encoder, so a layout change that breaks peers shows here).
enum RawFrames {
    static func frame(kind: UInt8, group: UInt64 = 0, correlation: UInt64 = 0, version: UInt8 = 1, body: [UInt8], checksum: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = []
        func be<I: FixedWidthInteger>(_ value: I) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
        be(UInt32(0))
        be(UInt16(0x5246))
        be(version)
        be(kind)
        be(UInt8(checksum ? 1 : 0))
        bytes.append(contentsOf: [0, 0, 0])
        be(group)
        be(correlation)
        bytes.append(contentsOf: body)
        let length = UInt32(bytes.count - 4 + (checksum ? 4 : 0))
        withUnsafeBytes(of: length.bigEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        if checksum { be(CRC32C.checksum(bytes[4...])) }
        return bytes
    }

    static func hello(versions: ClosedRange<UInt8> = 1...1, clusterID: String, sender: NodeID, target: NodeID, lane: UInt8 = 0) -> [UInt8] {
        var body: [UInt8] = [versions.lowerBound, versions.upperBound]
        withUnsafeBytes(of: sender.bigEndian) { body.append(contentsOf: $0) }
        withUnsafeBytes(of: target.bigEndian) { body.append(contentsOf: $0) }
        body.append(lane)
        let cluster = Array(clusterID.utf8)
        withUnsafeBytes(of: UInt16(cluster.count).bigEndian) { body.append(contentsOf: $0) }
        body.append(contentsOf: cluster)
        return frame(kind: 1, body: body)
    }

    /// The wire code of a refusal reason (README: 1 wrong cluster ... 10 TLS handshake failed).
    static func refusalCode(_ reason: RefusalReason) -> UInt8 {
        let codes: [RefusalReason: UInt8] = [
            .wrongCluster: 1, .unsupportedVersion: 2, .wrongNode: 3, .removed: 4, .unknownGroup: 5, .identityMismatch: 6,
            .tlsRequired: 7, .protocolViolation: 8, .shuttingDown: 9, .tlsHandshakeFailed: 10,
        ]
        return codes[reason]!
    }
}
