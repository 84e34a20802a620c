import Raft
import RaftCore

/// The vote file, rewritten atomically (temp file, fsync, rename, directory fsync), so after a
/// crash it holds either the old or the new vote.
///
/// ```
/// 0..<8   magic "SRAFTVOT"
/// 8..<12  format version
/// 12..<16 flags: bit 0 voted for someone, bit 1 committed
/// 16..<24 term
/// 24..<32 voted-for node id (0 when nobody)
/// 32..<36 zero
/// 36..<40 CRC-32C of bytes 0..<36
/// ```
@usableFromInline enum MetaFile {
    @usableFromInline static let name = "vote"
    @usableFromInline static let temporaryName = "vote.tmp"
    @usableFromInline static let size = 40
    @usableFromInline static let magic: [UInt8] = Array("SRAFTVOT".utf8)
    @usableFromInline static let version: UInt32 = 1

    @inlinable static func encode(_ vote: Vote) -> [UInt8] {
        var bytes = magic
        bytes.appendLE(version)
        bytes.appendLE(UInt32(vote.votedFor == nil ? 0 : 1) | (vote.committed ? 2 : 0))
        bytes.appendLE(vote.term)
        bytes.appendLE(vote.votedFor ?? 0)
        bytes.appendLE(UInt32(0))
        bytes.appendLE(CRC32C.checksum(bytes))
        return bytes
    }

    /// Nil when the bytes are not a valid vote file.
    @inlinable static func decode(_ bytes: [UInt8]) -> Vote? {
        guard bytes.count == size, Array(bytes[0..<8]) == magic, bytes.loadLE32(at: 8) == version,
              bytes.loadLE32(at: 32) == 0, CRC32C.checksum(bytes[0..<36]) == bytes.loadLE32(at: 36)
        else { return nil }
        let flags = bytes.loadLE32(at: 12)
        guard flags & ~3 == 0, flags != 2 else { return nil }
        let votedFor = bytes.loadLE64(at: 24)
        if flags & 1 == 0 && votedFor != 0 { return nil }
        return Vote(term: bytes.loadLE64(at: 16), votedFor: flags & 1 == 1 ? votedFor : nil, committed: flags & 2 == 2)
    }
}
