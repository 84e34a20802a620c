import Raft
import RaftCore
@testable import RaftFileStore
import Testing

@Suite struct OnDiskFormatTests {
    @Test func recordsRoundTripAndRejectOtherSeeds() throws {
        var buffer: [UInt8] = []
        let entry = ScriptedWorkload.entry(LogID(term: 3, nodeID: 2, index: 77))
        let length = try RecordWriter.append(.entry, seed: 1234, to: &buffer) { bytes throws(StorageError) in
            try EntryRecord.appendPayload(entry, to: &bytes)
        }
        #expect(buffer.count % 8 == 0)
        let header = try #require(RecordHeader.parse(buffer, at: 0))
        #expect(header.type == .entry)
        #expect(RecordLayout.headerSize + header.payloadLength == length)
        #expect(RecordHeader.checksumMatches(buffer, at: 0, payloadLength: header.payloadLength, seed: 1234))
        #expect(!RecordHeader.checksumMatches(buffer, at: 0, payloadLength: header.payloadLength, seed: 1235))
        let decoded = try EntryRecord.decode(KVTypes.self, buffer, payloadAt: 16, length: header.payloadLength)
        #expect(decoded.logID == entry.logID)
        if case .command(let command) = decoded.payload, case .command(let original) = entry.payload {
            #expect(command == original)
        } else {
            Issue.record("payload kind changed")
        }
    }

    @Test func segmentHeaderRoundTripsAndDetectsDamage() {
        let header = SegmentHeader(sequence: 42, nonce: 0xDEAD_BEEF, baseLogID: LogID(term: 5, nodeID: 1, index: 900))
        var bytes = header.encoded()
        #expect(bytes.count == SegmentHeader.size)
        #expect(SegmentHeader.parse(bytes) == header)
        bytes[40] ^= 1
        #expect(SegmentHeader.parse(bytes) == nil)
        #expect(SegmentHeader.parse(SegmentHeader(sequence: 1, nonce: 2, baseLogID: nil).encoded())?.baseLogID == nil)
    }

    @Test func segmentNamesSortBySequence() {
        #expect(SegmentNaming.name(1) == "log-0000000000000001.seg")
        #expect(SegmentNaming.name(0xABC) == "log-0000000000000abc.seg")
        #expect(SegmentNaming.sequence(of: SegmentNaming.name(UInt64.max)) == UInt64.max)
        #expect(SegmentNaming.sequence(of: "log-1.seg") == nil)
        #expect(SegmentNaming.sequence(of: "vote") == nil)
        #expect([SegmentNaming.name(16), SegmentNaming.name(2)].sorted() == [SegmentNaming.name(2), SegmentNaming.name(16)])
    }

    @Test func voteFileRoundTripsAndDetectsDamage() {
        for vote in [Vote.initial, Vote(term: 7, votedFor: 3), Vote(term: 8, votedFor: 0, committed: true)] {
            #expect(MetaFile.decode(MetaFile.encode(vote)) == vote)
        }
        var bytes = MetaFile.encode(Vote(term: 7, votedFor: 3))
        for index in bytes.indices {
            bytes[index] ^= 0x10
            #expect(MetaFile.decode(bytes) == nil, "flip in byte \(index) went unnoticed")
            bytes[index] ^= 0x10
        }
        #expect(MetaFile.decode(Array(bytes.dropLast())) == nil)
    }
}

@Suite struct DiskIndexTests {
    func slot(_ offset: UInt32) -> DiskSlot { DiskSlot(segment: 1, offset: offset, length: 8) }

    @Test func appendTruncatePurge() {
        var index = DiskIndex()
        for position: LogIndex in 1...10 { index.append(slot(UInt32(position)), at: position) }
        index.purge(upTo: 3)
        #expect(index.firstIndex == 4)
        #expect(index.slot(at: 3) == nil)
        #expect(index.slot(at: 4) == slot(4))
        index.truncate(after: 7)
        #expect(index.lastIndex == 7)
        #expect(index.slot(at: 8) == nil)
        index.append(slot(80), at: 8)
        #expect(index.slot(at: 8) == slot(80))
        index.truncate(after: 2)
        #expect(index.count == 0)
        index.append(slot(30), at: 3)
        #expect(index.firstIndex == 3)
        index.purge(upTo: 20)
        #expect(index.count == 0)
        index.append(slot(21), at: 21)
        #expect(index.slot(at: 21) == slot(21))
    }
}
