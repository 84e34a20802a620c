import Raft
import RaftCore

/// The layout of one snapshot file:
///
/// ```
/// 0..<8    magic "SRAFTSNP"
/// 8..<12   format version
/// 12..<16  zero
/// 16..<24  metadata length (m)
/// 24..<32  data length (d)
/// 32...    metadata (BinaryEncoder of SnapshotMeta), then data
/// last 8   CRC-32C of everything before it, then 4 zero bytes
/// ```
@usableFromInline enum SnapshotFile {
    @usableFromInline static let magic: [UInt8] = Array("SRAFTSNP".utf8)
    @usableFromInline static let version: UInt32 = 1
    @usableFromInline static let headerSize = 32
    @usableFromInline static let trailerSize = 8
    @usableFromInline static let format = SequencedFileName(prefix: "snapshot-", suffix: ".snap")
    @inlinable static var prefix: String { format.prefix }
    @inlinable static var suffix: String { format.suffix }
    @usableFromInline static let temporarySuffix = ".tmp"

    @inlinable static func name(_ sequence: UInt64) -> String { format.name(sequence) }

    @inlinable static func sequence(of name: String) -> UInt64? { format.sequence(of: name) }

    @inlinable static func header(metaLength: Int, dataLength: Int) -> [UInt8] {
        var bytes = magic
        bytes.appendLE(version)
        bytes.appendLE(UInt32(0))
        bytes.appendLE(UInt64(metaLength))
        bytes.appendLE(UInt64(dataLength))
        return bytes
    }

    /// Parses and verifies a whole file read from `path`.
    @inlinable static func parse<Types: RaftTypeConfig>(_ bytes: [UInt8], as type: Types.Type, path: String) throws(StorageError) -> Snapshot<Types> {
        func damaged(_ reason: String) -> StorageError {
            StorageError.corruption(path: path, offset: 0, "snapshot file: \(reason)")
        }
        guard bytes.count >= headerSize + trailerSize, Array(bytes[0..<8]) == magic else { throw damaged("not a snapshot file") }
        guard bytes.loadLE32(at: 8) == version, bytes.loadLE32(at: 12) == 0 else { throw damaged("unknown format") }
        let metaLength = bytes.loadLE64(at: 16)
        let dataLength = bytes.loadLE64(at: 24)
        let bodyLength = UInt64(bytes.count - headerSize - trailerSize)
        guard metaLength <= bodyLength, dataLength == bodyLength - metaLength else { throw damaged("lengths disagree with the file size") }
        let checksumOffset = bytes.count - trailerSize
        guard CRC32C.checksum(bytes[..<checksumOffset]) == bytes.loadLE32(at: checksumOffset),
              bytes.loadLE32(at: checksumOffset + 4) == 0
        else { throw damaged("checksum mismatch") }
        let metaEnd = headerSize + Int(metaLength)
        do {
            let meta = try BinaryDecoder().decode(SnapshotMeta<Types>.self, from: bytes, in: headerSize..<metaEnd)
            return Snapshot(meta: meta, data: Array(bytes[metaEnd..<checksumOffset]))
        } catch {
            throw damaged("metadata does not decode: \(error)")
        }
    }
}
