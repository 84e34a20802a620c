import Raft
import RaftCore

/// Why a connection ended, as logged and counted by the side that saw it end.
public enum ConnectionCloseReason: Hashable, Sendable, CustomStringConvertible {
    /// The other side closed it (or the network did).
    case peerClosed
    /// Bytes arrived that are not a valid frame, or a frame whose body does not decode.
    case badFrame(FrameError)
    /// The handshake was refused, by this side or the other (the reason says which check failed).
    case refused(RefusalReason, String)
    /// The other side sent a frame this side does not expect there (a response to a server,
    /// a request before the handshake...).
    case protocolViolation(String)
    /// The handshake did not complete in time.
    case handshakeTimeout
    /// TLS failed: an untrusted, expired or missing certificate, or plaintext where TLS is needed.
    case tlsFailure(String)
    /// A socket error.
    case ioError(String)
    /// This side is shutting down.
    case shutdown

    /// The reason without its details, for counting.
    public var category: Category {
        switch self {
        case .peerClosed: return .peerClosed
        case .badFrame: return .badFrame
        case .refused: return .refused
        case .protocolViolation: return .protocolViolation
        case .handshakeTimeout: return .handshakeTimeout
        case .tlsFailure: return .tlsFailure
        case .ioError: return .ioError
        case .shutdown: return .shutdown
        }
    }

    /// ``ConnectionCloseReason`` without details.
    public enum Category: String, Hashable, Sendable, CaseIterable {
        /// The peer closed the connection.
        case peerClosed
        /// A frame failed its checks.
        case badFrame
        /// One side refused the other at the handshake.
        case refused
        /// The peer broke the protocol.
        case protocolViolation
        /// The handshake did not complete in time.
        case handshakeTimeout
        /// TLS failed.
        case tlsFailure
        /// A socket error.
        case ioError
        /// This side shut down.
        case shutdown
    }

    public var description: String {
        switch self {
        case .peerClosed: return "closed by the peer"
        case .badFrame(let error): return "bad frame: \(error)"
        case let .refused(reason, detail): return "refused (\(reason)): \(detail)"
        case .protocolViolation(let detail): return "protocol violation: \(detail)"
        case .handshakeTimeout: return "handshake timed out"
        case .tlsFailure(let detail): return "TLS failure: \(detail)"
        case .ioError(let detail): return "I/O error: \(detail)"
        case .shutdown: return "shut down"
        }
    }
}

/// One ended connection.
public struct ConnectionClosure: Hashable, Sendable, CustomStringConvertible {
    /// The peer's node id, once its handshake named it.
    public var peer: NodeID?
    /// The peer's socket address, when known.
    public var remoteAddress: String?
    /// Why it closed.
    public var reason: ConnectionCloseReason

    public var description: String {
        "connection \(remoteAddress ?? "?")\(peer.map { " (node \($0))" } ?? ""): \(reason)"
    }
}

/// What a ``RaftNIOServer`` has seen, for tests and status pages.
public struct RaftNIOServerStatistics: Hashable, Sendable {
    /// Connections open now.
    public var openConnections = 0
    /// Connections accepted since the server started.
    public var acceptedConnections = 0
    /// Connections that completed the handshake.
    public var establishedConnections = 0
    /// Of those, connections of the snapshot lane (snapshot chunks travel apart from
    /// heartbeats and appends).
    public var establishedSnapshotConnections = 0
    /// Ended connections by reason.
    public var closures: [ConnectionCloseReason.Category: Int] = [:]
    /// Requests refused (per request, not per connection) by reason: unknown group, removed...
    public var refusedRequests: [RefusalReason: Int] = [:]
    /// Requests handed to a node.
    public var requestsServed = 0
    /// Requests handed to a node, by group.
    public var requestsByGroup: [RaftGroupID: Int] = [:]
    /// Connections that completed the handshake, by the peer that opened them.
    public var establishedByPeer: [NodeID: Int] = [:]
    /// The most recent closures, newest last (at most 64).
    public var recentClosures: [ConnectionClosure] = []

    /// Empty statistics.
    public init() {}

    mutating func record(_ closure: ConnectionClosure) {
        closures[closure.reason.category, default: 0] += 1
        recentClosures.append(closure)
        if recentClosures.count > 64 { recentClosures.removeFirst(recentClosures.count - 64) }
    }
}
