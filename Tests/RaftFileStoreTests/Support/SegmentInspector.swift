import Raft
import RaftCore
@testable import RaftFileStore

/// Walks the records of a segment file, for tests that damage one chosen record.
enum SegmentInspector {
    struct Record {
        var offset: Int
        var type: RecordType
        var payloadLength: Int
        /// The entry's id, for entry records.
        var logID: LogID?
    }

    static func header(_ bytes: [UInt8]) -> SegmentHeader? { SegmentHeader.parse(bytes) }

    /// The records of `bytes`, up to the first one that does not parse.
    static func records(_ bytes: [UInt8]) -> [Record] {
        var result: [Record] = []
        var position = SegmentHeader.size
        while let record = RecordHeader.parse(bytes, at: position),
              position + RecordLayout.headerSize + record.payloadLength <= bytes.count {
            let logID = record.type == .entry
                ? EntryRecord.logID(bytes, payloadAt: position + RecordLayout.headerSize, length: record.payloadLength) : nil
            result.append(Record(offset: position, type: record.type, payloadLength: record.payloadLength, logID: logID))
            position += RecordLayout.paddedSize(payloadLength: record.payloadLength)
        }
        return result
    }

    /// The entry ids of `bytes`, in file order.
    static func entryIDs(_ bytes: [UInt8]) -> [LogID] { records(bytes).compactMap(\.logID) }

    /// The offset of the record of entry `index`, if `bytes` holds it.
    static func offset(ofEntry index: LogIndex, in bytes: [UInt8]) -> Int? {
        records(bytes).first { $0.logID?.index == index }?.offset
    }
}
