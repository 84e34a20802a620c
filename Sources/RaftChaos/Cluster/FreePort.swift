import Glibc

/// Ports for the nodes' own listeners, which the harness must name before the nodes start
/// (their peers' command lines carry them).
enum FreePort {
    /// A port bound to a socket that is not listening, held until ``release(_:)``: while
    /// held, the kernel hands it to no one else (the proxies' own ephemeral ports included).
    /// Released just before the node binds it, another process could still take it; on a
    /// test machine that is rare, and the node then fails to start with a clear error.
    static func reserve(host: String = "127.0.0.1") throws -> (port: Int, socket: Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ChaosError.setup("socket() failed: errno \(errno)") }
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, host, &address.sin_addr)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { close(fd); throw ChaosError.setup("bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { close(fd); throw ChaosError.setup("getsockname() failed: errno \(errno)") }
        return (Int(UInt16(bigEndian: address.sin_port)), fd)
    }

    static func release(_ socket: Int32) { close(socket) }
}
