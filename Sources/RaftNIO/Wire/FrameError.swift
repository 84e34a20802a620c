/// Why bytes received could not be taken as a frame, or a frame's body as its message. Any of
/// these closes the connection it arrived on (and only that one).
public enum FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The frame does not start with the protocol's magic number: not a RaftNIO peer.
    case badMagic(UInt16)
    /// The frame is written in a format version this build does not read.
    case unsupportedVersion(UInt8)
    /// The length field announces more than the configured maximum frame size.
    case frameTooLarge(length: Int, limit: Int)
    /// The length field announces less than a header.
    case frameTooSmall(length: Int)
    /// Flag or reserved bits this version does not define are set.
    case reservedBitsSet
    /// The frame's CRC-32C does not match its bytes.
    case checksumMismatch(expected: UInt32, computed: UInt32)
    /// The kind byte names no frame kind.
    case unknownKind(UInt8)
    /// The connection ended in the middle of a frame.
    case truncated(bytesLeft: Int)
    /// The body does not decode as the message its kind names.
    case malformedBody(kind: String, reason: String)

    @inlinable public var description: String {
        switch self {
        case .badMagic(let magic): return "bad magic 0x\(String(magic, radix: 16)) (not a RaftNIO peer)"
        case .unsupportedVersion(let version): return "unsupported frame version \(version)"
        case let .frameTooLarge(length, limit): return "frame of \(length) bytes exceeds the limit of \(limit)"
        case .frameTooSmall(let length): return "frame length \(length) is shorter than a header"
        case .reservedBitsSet: return "reserved flag bits set"
        case let .checksumMismatch(expected, computed):
            return "checksum mismatch (frame says 0x\(String(expected, radix: 16)), bytes give 0x\(String(computed, radix: 16)))"
        case .unknownKind(let kind): return "unknown frame kind \(kind)"
        case .truncated(let left): return "connection closed inside a frame (\(left) bytes buffered)"
        case let .malformedBody(kind, reason): return "malformed \(kind) body: \(reason)"
        }
    }
}
