import Raft
import RaftCore

/// The records of a segment file.
///
/// Every record is an 8-byte-aligned header followed by its payload, padded with zeros to the
/// next multiple of 8:
///
/// ```
/// 0..<4   CRC-32C of bytes 4..<16 and the payload, seeded with the segment's seed
/// 4       type (RecordType)
/// 5..<8   zero
/// 8..<12  payload length
/// 12..<16 zero
/// ```
///
/// Seeding the checksum with the segment's random nonce means a record copied or misdirected
/// from another segment, or bytes of a previous file, never validate here.
@usableFromInline enum RecordType: UInt8 {
    /// One log entry: index, term, node id, payload kind, encoded payload.
    case entry = 1
    /// Ends every synced batch: the log's last id after the batch. A record that fails its
    /// checksum before a valid commit marker is corruption of acknowledged data.
    case commitMarker = 2
    /// Entries after the given id are deleted.
    case truncate = 3
    /// Entries up to and including the given id are purged.
    case purge = 4
    /// The commit point the runtime saved.
    case committed = 5
}

@usableFromInline enum RecordLayout {
    @usableFromInline static let headerSize = 16
    @usableFromInline static let alignment = 8
    /// Bytes of a record with a log id payload (marker, truncate, purge, committed), padded.
    @usableFromInline static let logIDRecordSize = headerSize + LogIDField.byteCount

    @inlinable static func paddedSize(payloadLength: Int) -> Int {
        let size = headerSize + payloadLength
        return (size + alignment - 1) / alignment * alignment
    }
}

/// A record header read back from disk.
@usableFromInline struct RecordHeader {
    @usableFromInline var checksum: UInt32
    @usableFromInline var type: RecordType
    @usableFromInline var payloadLength: Int

    @inlinable init(checksum: UInt32, type: RecordType, payloadLength: Int) {
        self.checksum = checksum
        self.type = type
        self.payloadLength = payloadLength
    }

    /// Parses the header at `offset`; nil if it is not a well-formed header (the caller still
    /// verifies the checksum).
    @inlinable static func parse(_ bytes: [UInt8], at offset: Int) -> RecordHeader? {
        guard offset + RecordLayout.headerSize <= bytes.count else { return nil }
        guard let type = RecordType(rawValue: bytes[offset + 4]),
              bytes[offset + 5] == 0, bytes[offset + 6] == 0, bytes[offset + 7] == 0,
              bytes.loadLE32(at: offset + 12) == 0
        else { return nil }
        return RecordHeader(checksum: bytes.loadLE32(at: offset), type: type, payloadLength: Int(bytes.loadLE32(at: offset + 8)))
    }

    /// Whether the record at `offset` (header and payload within `bytes`) has a valid checksum.
    @inlinable static func checksumMatches(_ bytes: [UInt8], at offset: Int, payloadLength: Int, seed: UInt32) -> Bool {
        let end = offset + RecordLayout.headerSize + payloadLength
        guard end <= bytes.count else { return false }
        let state = CRC32C.update(seed, bytes[(offset + 4)..<end])
        return CRC32C.finalize(state) == bytes.loadLE32(at: offset)
    }
}

/// Appends records to a write buffer.
@usableFromInline enum RecordWriter {
    /// Appends a record whose payload `writePayload` appends; returns the record's unpadded
    /// length. The buffer's length must be a multiple of 8 (records keep it so).
    @inline(__always)
    @inlinable static func append(_ type: RecordType, seed: UInt32, to buffer: inout [UInt8],
                       _ writePayload: (inout [UInt8]) throws(StorageError) -> Void) throws(StorageError) -> Int {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: RecordLayout.headerSize))
        buffer[start + 4] = type.rawValue
        try writePayload(&buffer)
        let payloadLength = buffer.count - start - RecordLayout.headerSize
        buffer.storeLE(UInt32(payloadLength), at: start + 8)
        let state = CRC32C.update(seed, buffer[(start + 4)...])
        buffer.storeLE(CRC32C.finalize(state), at: start)
        buffer.padToAlignment(RecordLayout.alignment)
        return RecordLayout.headerSize + payloadLength
    }

    @inlinable static func appendLogIDRecord(_ type: RecordType, _ logID: LogID?, seed: UInt32, to buffer: inout [UInt8]) {
        _ = try? append(type, seed: seed, to: &buffer) { bytes throws(StorageError) in LogIDField.append(logID, to: &bytes) }
    }
}
