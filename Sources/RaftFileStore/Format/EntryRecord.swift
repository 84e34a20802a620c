import Raft
import RaftCore

/// The payload of an entry record:
///
/// ```
/// 0..<8   index
/// 8..<16  term
/// 16..<24 node id of the leader that created the entry
/// 24      kind: 0 blank, 1 membership, 2 command
/// 25...   BinaryEncoder frame of the membership or command (empty for blank)
/// ```
///
/// The log id is stored in fixed fields so recovery reads it without decoding the payload.
@usableFromInline enum EntryRecord {
    @usableFromInline static let fixedSize = 25

    @usableFromInline enum Kind: UInt8 {
        case blank = 0, membership = 1, command = 2
    }

    @inlinable static func appendPayload<T: RaftTypeConfig>(_ entry: Entry<T>, to bytes: inout [UInt8]) throws(StorageError) {
        bytes.appendLE(entry.logID.index)
        bytes.appendLE(entry.logID.term)
        bytes.appendLE(entry.logID.leaderID.nodeID)
        do {
            switch entry.payload {
            case .blank:
                bytes.append(Kind.blank.rawValue)
            case .membership(let membership):
                bytes.append(Kind.membership.rawValue)
                try BinaryEncoder().encode(membership, appendingTo: &bytes)
            case .command(let command):
                bytes.append(Kind.command.rawValue)
                try BinaryEncoder().encode(command, appendingTo: &bytes)
            }
        } catch {
            throw StorageError(subject: .logEntry(entry.logID), verb: .write, reason: "cannot encode entry: \(error)")
        }
    }

    /// The log id in a payload at `offset` of `length` bytes; nil if the payload is too short.
    @inlinable static func logID(_ bytes: [UInt8], payloadAt offset: Int, length: Int) -> LogID? {
        guard length >= fixedSize, Kind(rawValue: bytes[offset + 24]) != nil else { return nil }
        return LogID(term: bytes.loadLE64(at: offset + 8), nodeID: bytes.loadLE64(at: offset + 16), index: bytes.loadLE64(at: offset))
    }

    @inlinable static func decode<T: RaftTypeConfig>(_ type: T.Type, _ bytes: [UInt8], payloadAt offset: Int, length: Int) throws(BinaryDecodingError) -> Entry<T> {
        guard let logID = logID(bytes, payloadAt: offset, length: length), let kind = Kind(rawValue: bytes[offset + 24]) else {
            throw BinaryDecodingError(kind: .truncated, offset: offset)
        }
        let body = (offset + fixedSize)..<(offset + length)
        switch kind {
        case .blank:
            guard body.isEmpty else { throw BinaryDecodingError(kind: .trailingBytes, offset: body.lowerBound) }
            return Entry(logID: logID, payload: .blank)
        case .membership:
            return Entry(logID: logID, payload: .membership(try BinaryDecoder().decode(Membership<T>.self, from: bytes, in: body)))
        case .command:
            return Entry(logID: logID, payload: .command(try BinaryDecoder().decode(T.Command.self, from: bytes, in: body)))
        }
    }
}
