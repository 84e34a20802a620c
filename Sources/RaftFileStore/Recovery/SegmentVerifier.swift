import Raft
import RaftCore

/// Verifies the bytes of one segment and replays its records, without touching any file.
/// Opening (``LogRecovery``) and repair (``LogRepairAnalysis``) share it, so they always agree
/// on what is intact, what is a torn unacknowledged tail, and what is damage.
///
/// The rules:
/// - records are kept up to the first one that fails verification;
/// - in the last segment, if a valid commit marker still follows that record, the batch it
///   ends was acknowledged, so the failure is damage; otherwise the rest is the torn tail of a
///   batch whose fsync never completed;
/// - any invalid record in an earlier (sealed) segment is damage.
@usableFromInline enum SegmentVerifier {
    /// Why the scan of the records stopped.
    @usableFromInline enum Stop: Equatable {
        /// Every byte was a verified record.
        case endOfFile
        /// The last segment ends with a batch that was never acknowledged (safe to cut off).
        case tornTail
        /// Acknowledged data fails verification.
        case damaged(String)
    }

    @usableFromInline enum Verdict {
        /// The header fails verification: no record of the segment can be checked.
        case badHeader
        /// The header is valid, but the segment does not start where the previous one ended.
        case doesNotJoin(SegmentHeader, String)
        /// Records verified and replayed up to `validEnd`; `stop` says why the scan ended there.
        case scanned(SegmentHeader, validEnd: Int, stop: Stop)
    }

    /// Byte offset of the base log id in the header (where a join mismatch is reported).
    @usableFromInline static let baseOffset = 32

    /// Verifies segment `sequence` held in `bytes`, replaying its verified records into
    /// `replay` (which holds the state after the previous segments).
    @inlinable static func verify(_ bytes: [UInt8], sequence: UInt64, isLast: Bool, into replay: inout LogReplay) -> Verdict {
        guard let header = SegmentHeader.parse(bytes), header.sequence == sequence else { return .badHeader }
        if !replay.started {
            replay.start(base: header.baseLogID)
        } else if header.baseLogID != replay.lastLogID {
            return .doesNotJoin(header,
                "segment starts after \(header.baseLogID.map(\.description) ?? "nil") but the previous segment ends at \(replay.lastLogID.map(\.description) ?? "nil")")
        }

        let seed = header.recordSeed
        var position = SegmentHeader.size
        scan: while position < bytes.count {
            guard let record = RecordHeader.parse(bytes, at: position),
                  record.payloadLength <= bytes.count - position - RecordLayout.headerSize,
                  RecordHeader.checksumMatches(bytes, at: position, payloadLength: record.payloadLength, seed: seed)
            else { break scan }
            let payload = position + RecordLayout.headerSize
            var violation: String?
            switch record.type {
            case .entry:
                guard let logID = EntryRecord.logID(bytes, payloadAt: payload, length: record.payloadLength) else { break scan }
                let slot = DiskSlot(segment: sequence, offset: UInt32(position), length: UInt32(RecordLayout.headerSize + record.payloadLength))
                violation = replay.append(logID, slot)
            case .commitMarker, .truncate, .purge, .committed:
                guard record.payloadLength == LogIDField.byteCount, let logID = LogIDField.read(bytes, at: payload) else { break scan }
                switch record.type {
                case .commitMarker: violation = replay.commitMarker(logID)
                case .truncate: violation = replay.truncate(after: logID)
                case .purge:
                    guard let logID else { break scan }
                    replay.purge(upTo: logID)
                default: replay.committed = logID
                }
            }
            if let violation {
                return .scanned(header, validEnd: position, stop: .damaged(violation))
            }
            position += RecordLayout.paddedSize(payloadLength: record.payloadLength)
        }

        guard position < bytes.count else { return .scanned(header, validEnd: position, stop: .endOfFile) }
        guard isLast else {
            return .scanned(header, validEnd: position, stop: .damaged("record fails verification in a sealed segment"))
        }
        if let marker = findCommitMarker(bytes, after: position, seed: seed) {
            return .scanned(header, validEnd: position, stop: .damaged(
                "record fails verification, but the commit marker at offset \(marker) after it shows the batch was acknowledged"))
        }
        return .scanned(header, validEnd: position, stop: .tornTail)
    }

    /// The offset of a valid commit marker after `offset`, searched at every 8-byte boundary
    /// (record lengths after a damaged header cannot be trusted).
    @inlinable static func findCommitMarker(_ bytes: [UInt8], after offset: Int, seed: UInt32) -> Int? {
        var candidate = offset + RecordLayout.alignment
        while candidate + RecordLayout.logIDRecordSize <= bytes.count {
            if bytes[candidate + 4] == RecordType.commitMarker.rawValue,
               let record = RecordHeader.parse(bytes, at: candidate),
               record.payloadLength == LogIDField.byteCount,
               RecordHeader.checksumMatches(bytes, at: candidate, payloadLength: record.payloadLength, seed: seed) {
                return candidate
            }
            candidate += RecordLayout.alignment
        }
        return nil
    }
}
