/// What a ``FaultProxy`` does to the bytes of one direction of its connections.
public enum ProxyFault: Hashable, Sendable, CustomStringConvertible {
    /// Bytes are forwarded as they arrive.
    case pass
    /// Bytes are forwarded this long after they arrived (in order).
    case delay(Duration)
    /// Bytes are read and thrown away: the sender sees a healthy connection whose peer never
    /// answers (a blackhole that keeps accepting).
    case discard
    /// Bytes are left unread: they pile up in the kernel's buffers until the sender's writes
    /// stall, and flow again once the fault is lifted (a blackhole that pushes back).
    case hold
    /// Connections are closed (both ways, since TCP cannot close one), and new ones are
    /// closed as soon as they are accepted.
    case close

    public var description: String {
        switch self {
        case .pass: return "pass"
        case .delay(let duration): return "delay \(duration)"
        case .discard: return "discard"
        case .hold: return "hold"
        case .close: return "close"
        }
    }
}

/// The two directions of a proxied connection.
public enum ProxyDirection: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// From the connecting client to the proxied server (requests).
    case toServer
    /// From the server back to the client (responses).
    case toClient

    public var description: String { self == .toServer ? "to server" : "to client" }
}
