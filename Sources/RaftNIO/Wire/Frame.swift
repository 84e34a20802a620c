import NIOCore

/// Identifies one Raft group served over a connection (multi-raft: one server and one
/// connection per peer pair carry any number of groups).
public typealias RaftGroupID = UInt64

/// What a frame carries. Values are the wire codes (see `README.md` in this folder).
@usableFromInline enum FrameKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case hello = 1
    case helloAccepted = 2
    case refusal = 3
    case appendRequest = 16
    case appendResponse = 17
    case voteRequest = 18
    case voteResponse = 19
    case snapshotChunkRequest = 20
    case snapshotChunkResponse = 21
    case timeoutNowRequest = 22
    case timeoutNowResponse = 23
    case readIndexRequest = 24
    case readIndexResponse = 25
    case errorResponse = 32

    /// Kinds a client sends after the handshake, each answered by one response frame.
    @inlinable var isRequest: Bool {
        switch self {
        case .appendRequest, .voteRequest, .snapshotChunkRequest, .timeoutNowRequest, .readIndexRequest: return true
        default: return false
        }
    }

    /// Kinds a server sends in answer to a request.
    @inlinable var isResponse: Bool {
        switch self {
        case .appendResponse, .voteResponse, .snapshotChunkResponse, .timeoutNowResponse, .readIndexResponse, .errorResponse: return true
        default: return false
        }
    }

    @inlinable var description: String {
        switch self {
        case .hello: return "hello"
        case .helloAccepted: return "hello-accepted"
        case .refusal: return "refusal"
        case .appendRequest: return "append"
        case .appendResponse: return "append-response"
        case .voteRequest: return "vote"
        case .voteResponse: return "vote-response"
        case .snapshotChunkRequest: return "snapshot-chunk"
        case .snapshotChunkResponse: return "snapshot-chunk-response"
        case .timeoutNowRequest: return "timeout-now"
        case .timeoutNowResponse: return "timeout-now-response"
        case .readIndexRequest: return "read-index"
        case .readIndexResponse: return "read-index-response"
        case .errorResponse: return "error-response"
        }
    }
}

/// One decoded frame: its header fields and its body (a slice of the bytes received).
@usableFromInline struct Frame: Sendable {
    @usableFromInline var kind: FrameKind
    /// The frame format version it was written in.
    @usableFromInline var version: UInt8
    @usableFromInline var group: RaftGroupID
    /// Pairs a response with its request; chosen by the requester, unique per connection.
    @usableFromInline var correlation: UInt64
    @usableFromInline var body: ByteBuffer

    @inlinable init(kind: FrameKind, version: UInt8, group: RaftGroupID, correlation: UInt64, body: ByteBuffer) {
        self.kind = kind
        self.version = version
        self.group = group
        self.correlation = correlation
        self.body = body
    }
}

/// The fixed layout of a frame. Every integer is big-endian.
///
/// ```
/// offset size field
///      0    4 length       bytes after this field: header rest + body + checksum
///      4    2 magic        0x5246 ("RF")
///      6    1 version      frame format version (1)
///      7    1 kind         FrameKind
///      8    1 flags        bit 0: a CRC-32C trailer follows the body; other bits 0
///      9    3 reserved     0
///     12    8 group        Raft group id
///     20    8 correlation  request id, echoed by the response
///     28    n body
///   28+n    4 checksum     CRC-32C of bytes 4..<28+n, when flag bit 0 is set
/// ```
@usableFromInline enum FrameLayout {
    @usableFromInline static let magic: UInt16 = 0x5246
    /// The frame format versions this build reads and writes.
    @usableFromInline static let supportedVersions: ClosedRange<UInt8> = 1...1
    @usableFromInline static let currentVersion: UInt8 = 1
    /// Bytes before the body, the length field included.
    @usableFromInline static let headerSize = 28
    /// Bytes the length field counts besides the body and checksum.
    @usableFromInline static let headerAfterLength = headerSize - 4
    @usableFromInline static let checksumSize = 4
    @usableFromInline static let flagChecksum: UInt8 = 1 << 0
    @usableFromInline static let knownFlags: UInt8 = flagChecksum
    /// The smallest frame limit a configuration may set: room for a handshake.
    @usableFromInline static let minimumMaxFrameSize = 1024
}
