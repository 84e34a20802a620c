import Raft
import RaftCore

/// The first 72 bytes of a segment file.
///
/// ```
/// 0..<8   magic "SRAFTLOG"
/// 8..<12  format version
/// 12..<16 zero
/// 16..<24 segment sequence number (also in the file name; never reused)
/// 24..<32 random nonce, seeds every record checksum of this segment
/// 32..<64 the log's last id when the segment was created (LogIDField)
/// 64..<68 zero
/// 68..<72 CRC-32C of bytes 0..<68
/// ```
///
/// The base id lets recovery check that consecutive segments join up, and know which entries
/// precede the first surviving segment (they must all be purged).
@usableFromInline struct SegmentHeader: Equatable {
    @usableFromInline static let size = 72
    @usableFromInline static let magic: [UInt8] = Array("SRAFTLOG".utf8)
    @usableFromInline static let version: UInt32 = 1

    @usableFromInline var sequence: UInt64
    @usableFromInline var nonce: UInt64
    @usableFromInline var baseLogID: LogID?

    @inlinable init(sequence: UInt64, nonce: UInt64, baseLogID: LogID? = nil) {
        self.sequence = sequence
        self.nonce = nonce
        self.baseLogID = baseLogID
    }

    /// The running CRC state every record checksum of this segment starts from.
    @inlinable var recordSeed: UInt32 {
        var seedBytes: [UInt8] = []
        seedBytes.appendLE(nonce)
        seedBytes.appendLE(sequence)
        return seedBytes.withUnsafeBytes { CRC32C.update(CRC32C.initialState, $0) }
    }

    @inlinable func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendLE(Self.version)
        bytes.appendLE(UInt32(0))
        bytes.appendLE(sequence)
        bytes.appendLE(nonce)
        LogIDField.append(baseLogID, to: &bytes)
        bytes.appendLE(UInt32(0))
        bytes.appendLE(CRC32C.checksum(bytes))
        return bytes
    }

    /// Nil when the bytes are not a valid header.
    @inlinable static func parse(_ bytes: [UInt8]) -> SegmentHeader? {
        guard bytes.count >= size, Array(bytes[0..<8]) == magic,
              bytes.loadLE32(at: 8) == version, bytes.loadLE32(at: 12) == 0, bytes.loadLE32(at: 64) == 0,
              CRC32C.checksum(bytes[0..<68]) == bytes.loadLE32(at: 68),
              let base = LogIDField.read(bytes, at: 32)
        else { return nil }
        return SegmentHeader(sequence: bytes.loadLE64(at: 16), nonce: bytes.loadLE64(at: 24), baseLogID: base)
    }
}

/// File names of the form prefix, 16 hex digits of a sequence number, suffix: they sort in
/// sequence order, and a sequence is never confused with a log index.
@usableFromInline struct SequencedFileName: Sendable {
    @usableFromInline let prefix: String
    @usableFromInline let suffix: String

    @inlinable func name(_ sequence: UInt64) -> String {
        let hex = String(sequence, radix: 16)
        return prefix + String(repeating: "0", count: max(0, 16 - hex.count)) + hex + suffix
    }

    @inlinable func sequence(of name: String) -> UInt64? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count == prefix.count + 16 + suffix.count else { return nil }
        return UInt64(name.dropFirst(prefix.count).dropLast(suffix.count), radix: 16)
    }
}

/// Segment file names: "log-" + 16 hex digits of the sequence + ".seg".
@usableFromInline enum SegmentNaming {
    @usableFromInline static let format = SequencedFileName(prefix: "log-", suffix: ".seg")
    @inlinable static var prefix: String { format.prefix }
    @inlinable static var suffix: String { format.suffix }

    @inlinable static func name(_ sequence: UInt64) -> String { format.name(sequence) }

    @inlinable static func sequence(of name: String) -> UInt64? { format.sequence(of: name) }
}
