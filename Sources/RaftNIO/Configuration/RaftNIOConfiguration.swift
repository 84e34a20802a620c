import Raft
import RaftCore

/// Settings shared by a node's ``RaftNIOServer`` and ``RaftNIOTransport``. Both sides of every
/// connection must agree on `clusterID`; the rest is local.
public struct RaftNIOConfiguration: Sendable {
    /// Identifies the cluster; a peer with another id is refused at the handshake (so a node
    /// pointed at the wrong cluster's addresses never exchanges a Raft message with it).
    public var clusterID: String
    /// Whether frames this side sends carry a CRC-32C trailer. Received frames are verified
    /// whenever they carry one. TCP's own checksum misses some corruption; keep it on unless
    /// TLS (whose records are authenticated) is in use and the CPU matters.
    public var checksums: Bool = true
    /// The largest frame sent or accepted, in bytes. Must exceed the engine's
    /// `maxBytesPerMessage` and the snapshot chunk size, with room for the entries' headers
    /// (``validate(for:)`` checks): an append whose frame would be larger fails to send.
    public var maxFrameSize: Int = 16 << 20
    /// Requests queued to one peer (per connection) that the socket has not taken yet. When
    /// the queue is full a send fails at once as unreachable, and the engine falls back to
    /// probing that peer: the node's loop never waits on the network. Sized well above the
    /// engine's `maxInflightMessages` (64 by default): a healthy connection never fills it,
    /// even with several groups sharing the connection.
    public var maxQueuedMessages: Int = 4096
    /// Bytes queued to one peer (per connection), bounded like ``maxQueuedMessages``; above
    /// the engine's `maxInflightBytes` (32 MiB by default).
    public var maxQueuedBytes: Int = 64 << 20
    /// Time allowed for a TCP connection to be established.
    public var connectTimeout: Duration = .seconds(1)
    /// Time allowed for the handshake (TLS included) once connected.
    public var handshakeTimeout: Duration = .seconds(2)
    /// Delay before dialling again after a failed connection attempt; doubles with each
    /// further failure (with random jitter of up to half) up to ``maxReconnectDelay``. A
    /// connection that was up and then dropped is dialled again at once, by the next call.
    public var minReconnectDelay: Duration = .milliseconds(25)
    /// The longest delay between connection attempts to an unreachable peer.
    public var maxReconnectDelay: Duration = .seconds(2)
    /// The longest time a server lets a node take over a peer's request, whatever the peer
    /// asks for: a peer (or a corrupted frame) cannot make requests wait for days.
    public var maxRequestTimeout: Duration = .seconds(30)
    /// Mutual TLS for every connection, or nil for plaintext.
    public var tls: RaftNIOTLS?

    /// A plaintext configuration for the cluster named `clusterID`.
    public init(clusterID: String, tls: RaftNIOTLS? = nil) {
        self.clusterID = clusterID
        self.tls = tls
    }

    /// The first unusable setting, alone or together with the node's `raft` configuration.
    public func validate(for raft: RaftConfig? = nil) -> RaftConfigError? {
        if clusterID.isEmpty || clusterID.utf8.count > 255 { return RaftConfigError(field: "clusterID", reason: "must be 1 to 255 bytes") }
        if maxFrameSize < FrameLayout.minimumMaxFrameSize || maxFrameSize > Int(UInt32.max) {
            return RaftConfigError(field: "maxFrameSize", reason: "must be between \(FrameLayout.minimumMaxFrameSize) and \(UInt32.max) bytes")
        }
        if maxQueuedMessages < 1 || maxQueuedBytes < 1 { return RaftConfigError(field: "maxQueuedMessages", reason: "queue bounds must be positive") }
        if maxRequestTimeout <= .zero { return RaftConfigError(field: "maxRequestTimeout", reason: "must be positive") }
        if connectTimeout <= .zero || handshakeTimeout <= .zero { return RaftConfigError(field: "connectTimeout", reason: "timeouts must be positive") }
        if minReconnectDelay <= .zero || maxReconnectDelay < minReconnectDelay {
            return RaftConfigError(field: "minReconnectDelay", reason: "must be positive and at most maxReconnectDelay")
        }
        guard let raft else { return nil }
        // Entry headers and the message's own fields on top of the engine's byte estimate.
        let appendFrame = raft.engine.maxBytesPerMessage + raft.engine.maxEntriesPerMessage * 16 + 4096
        if appendFrame > maxFrameSize {
            return RaftConfigError(field: "maxFrameSize", reason: "must hold an append of engine.maxBytesPerMessage (needs at least \(appendFrame) bytes)")
        }
        if raft.snapshotChunkSize + 64 * 1024 > maxFrameSize {
            return RaftConfigError(field: "maxFrameSize", reason: "must hold a snapshot chunk of snapshotChunkSize plus its metadata")
        }
        if raft.engine.maxInflightMessages + 16 > maxQueuedMessages {
            return RaftConfigError(field: "maxQueuedMessages", reason: "must exceed engine.maxInflightMessages, with room for heartbeats and votes")
        }
        if raft.engine.maxInflightBytes > maxQueuedBytes {
            return RaftConfigError(field: "maxQueuedBytes", reason: "must be at least engine.maxInflightBytes")
        }
        return nil
    }
}

/// Where a peer's server listens.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// A host name or IP address.
    public var host: String
    /// A TCP port.
    public var port: Int

    /// An address from its host and port.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (`[v6-address]:port` for IPv6); nil when it is not of that form.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
