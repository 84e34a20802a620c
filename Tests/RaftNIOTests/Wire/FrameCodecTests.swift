import NIOCore
import Raft
import RaftCore
@testable import RaftNIO
import Testing

/// Frames and Raft messages through the wire codec: every kind round-trips, and every kind of
/// bad input is a typed error.
@Suite("RaftNIO: frame codec")
struct FrameCodecTests {
    static let limit = 1 << 20

    func parseOne(_ frame: ByteBuffer) throws -> Frame {
        var buffer = frame
        let parsed = try #require(try FrameDecoder.parse(&buffer, maxFrameSize: Self.limit))
        #expect(buffer.readableBytes == 0)
        return parsed
    }

    func sampleEntries() -> [Entry<KVTypes>] {
        let joint = MembershipConfig(voterSets: [VoterSet([1, 2, 3]), VoterSet([2, 3, 4], rule: .flexible(electionQuorumSize: 2, commitQuorumSize: 2))], learners: [5])
        let membership = Membership<KVTypes>(config: joint, addresses: [1: "a:1", 2: "b:2", 3: "c:3", 4: "d:4", 5: "e:5"])
        return [
            Entry(logID: LogID(term: 3, nodeID: 1, index: 11), payload: .command(.put(key: "k", value: "v"))),
            Entry(logID: LogID(term: 3, nodeID: 1, index: 12), payload: .blank),
            Entry(logID: LogID(term: 4, nodeID: 2, index: 13), payload: .membership(membership)),
            Entry(logID: LogID(term: 4, nodeID: 2, index: 14), payload: .command(.compareAndSet(key: "k", expected: nil, new: "w"))),
        ]
    }

    @Test(arguments: [true, false])
    func appendRequestsRoundTrip(checksum: Bool) throws {
        let request = AppendEntriesRequest<KVTypes>(
            vote: Vote(term: 4, votedFor: 2, committed: true), prevLogID: LogID(term: 3, nodeID: 1, index: 10),
            entries: sampleEntries(), leaderCommit: LogID(term: 3, nodeID: 1, index: 9), rpcID: 77)
        let frame = try Frames.appendRequest(request, group: 9, correlation: 1234, timeout: .milliseconds(750), checksum: checksum)
        let parsed = try parseOne(frame)
        #expect(parsed.kind == .appendRequest && parsed.group == 9 && parsed.correlation == 1234)
        guard case let .append(decoded, timeout) = try Frames.decodeRequest(parsed, as: KVTypes.self) else { Issue.record("not an append"); return }
        #expect(timeout == .milliseconds(750))
        #expect(decoded.vote == request.vote && decoded.prevLogID == request.prevLogID && decoded.leaderCommit == request.leaderCommit && decoded.rpcID == 77)
        #expect(decoded.entries.map(\.logID) == request.entries.map(\.logID))
        #expect(decoded.entries.map(\.description) == request.entries.map(\.description))
        #expect(decoded.entries[2].membership == request.entries[2].membership)
        if case .command(let command) = decoded.entries[0].payload { #expect(command == .put(key: "k", value: "v")) } else { Issue.record("payload") }
        // Re-encoding the decoded request gives the same bytes.
        #expect(try Frames.appendRequest(decoded, group: 9, correlation: 1234, timeout: .milliseconds(750), checksum: checksum) == frame)
    }

    @Test func heartbeatsFromTheFirstLeaderAndEmptyLogsRoundTrip() throws {
        let request = AppendEntriesRequest<KVTypes>(vote: Vote(term: 1, votedFor: 1, committed: true), prevLogID: nil, entries: [], leaderCommit: nil, rpcID: 1)
        let parsed = try parseOne(try Frames.appendRequest(request, group: 0, correlation: 1, timeout: .seconds(1), checksum: true))
        guard case let .append(decoded, _) = try Frames.decodeRequest(parsed, as: KVTypes.self) else { Issue.record("not an append"); return }
        #expect(decoded.entries.isEmpty && decoded.prevLogID == nil && decoded.leaderCommit == nil)
    }

    @Test func nonContiguousEntriesAreNotEncoded() {
        let request = AppendEntriesRequest<KVTypes>(
            vote: Vote(term: 1, votedFor: 1, committed: true), prevLogID: nil,
            entries: [Entry(logID: LogID(term: 1, nodeID: 1, index: 2), payload: .blank)], leaderCommit: nil, rpcID: 1)
        #expect(throws: NonContiguousEntries.self) { try Frames.appendRequest(request, group: 0, correlation: 1, timeout: .seconds(1), checksum: true) }
    }

    @Test func votesTimeoutNowAndReadIndexRoundTrip() throws {
        let vote = VoteRequest(vote: Vote(term: 7, votedFor: 3), lastLogID: LogID(term: 6, nodeID: 1, index: 40), isPreVote: true, isLeadershipTransfer: true, rpcID: 5)
        guard case let .vote(decodedVote, timeout) = try Frames.decodeRequest(try parseOne(Frames.voteRequest(vote, group: 1, correlation: 2, timeout: .seconds(2), checksum: true)), as: KVTypes.self)
        else { Issue.record("not a vote"); return }
        #expect(decodedVote == vote && timeout == .seconds(2))

        let timeoutNow = TimeoutNowRequest(vote: Vote(term: 7, votedFor: 1, committed: true), lastLogID: nil, rpcID: 6)
        guard case .timeoutNow(let decodedTimeoutNow) = try Frames.decodeRequest(try parseOne(Frames.timeoutNow(timeoutNow, group: 1, correlation: 3, checksum: false)), as: KVTypes.self)
        else { Issue.record("not a timeout-now"); return }
        #expect(decodedTimeoutNow == timeoutNow)

        guard case .readIndex(let readTimeout) = try Frames.decodeRequest(try parseOne(Frames.readIndex(group: 1, correlation: 4, timeout: .milliseconds(1), checksum: true)), as: KVTypes.self)
        else { Issue.record("not a read-index"); return }
        #expect(readTimeout == .milliseconds(1))
    }

    @Test func snapshotChunksRoundTrip() throws {
        let membership = StoredMembership<KVTypes>(logID: LogID(term: 2, nodeID: 1, index: 5), membership: Membership(voters: [1: "a", 2: "b"], learners: [3: "c"]))
        let chunk = SnapshotChunk<KVTypes>(
            vote: Vote(term: 2, votedFor: 1, committed: true), meta: SnapshotMeta(lastLogID: LogID(term: 2, nodeID: 1, index: 90), lastMembership: membership, snapshotID: "snap-1"),
            offset: 4096, data: (0..<1000).map { UInt8($0 % 251) }, isLast: true, rpcID: 12)
        guard case let .snapshotChunk(decoded, _) = try Frames.decodeRequest(try parseOne(try Frames.snapshotChunk(chunk, group: 0, correlation: 1, timeout: .seconds(5), checksum: true)), as: KVTypes.self)
        else { Issue.record("not a chunk"); return }
        #expect(decoded.meta == chunk.meta && decoded.data == chunk.data && decoded.offset == 4096 && decoded.isLast && decoded.rpcID == 12 && decoded.vote == chunk.vote)
    }

    @Test func responsesRoundTrip() throws {
        let vote = Vote(term: 9, votedFor: 2, committed: true)
        let appends: [AppendEntriesResponse] = [
            AppendEntriesResponse(vote: vote, rpcID: 1, outcome: .success(matched: nil)),
            AppendEntriesResponse(vote: vote, rpcID: 2, outcome: .success(matched: LogID(term: 9, nodeID: 2, index: 100))),
            AppendEntriesResponse(vote: vote, rpcID: 3, outcome: .conflict(hintIndex: 40, hintLeaderID: LeaderID(term: 8, nodeID: 1))),
            AppendEntriesResponse(vote: vote, rpcID: 4, outcome: .conflict(hintIndex: 0, hintLeaderID: nil)),
            AppendEntriesResponse(vote: .initial, rpcID: 5, outcome: .rejected),
            AppendEntriesResponse(vote: vote, rpcID: 6, outcome: .success(matched: nil), votingSuspended: true),
            AppendEntriesResponse(vote: vote, rpcID: 7, outcome: .conflict(hintIndex: 3, hintLeaderID: nil), votingSuspended: true),
        ]
        for response in appends {
            guard case .append(let decoded) = try Frames.decodeResponse(try parseOne(Frames.appendResponse(response, group: 0, correlation: 1, checksum: true))) else { Issue.record("append"); continue }
            #expect(decoded == response)
        }
        let voteResponse = VoteResponse(vote: vote, granted: true, isPreVote: true, requestTerm: 9, lastLogID: LogID(term: 9, nodeID: 2, index: 3), rpcID: 8)
        guard case .vote(let decodedVote) = try Frames.decodeResponse(try parseOne(Frames.voteResponse(voteResponse, group: 0, correlation: 1, checksum: true))) else { Issue.record("vote"); return }
        #expect(decodedVote == voteResponse)
        let chunks: [SnapshotChunkResponse] = [
            .accepted(nextOffset: 1 << 40), .installed(InstallSnapshotResponse(vote: vote, rpcID: 3, outcome: .installed(matched: nil))),
            .installed(InstallSnapshotResponse(vote: vote, rpcID: 4, outcome: .rejected)), .rejected(vote: vote), .outOfOrder(expectedOffset: 0),
        ]
        for response in chunks {
            guard case .snapshotChunk(let decoded) = try Frames.decodeResponse(try parseOne(Frames.snapshotChunkResponse(response, group: 0, correlation: 1, checksum: false))) else { Issue.record("chunk"); continue }
            #expect(decoded == response)
        }
        guard case .readIndex(let index) = try Frames.decodeResponse(try parseOne(Frames.readIndexResponse(LogID(term: 1, nodeID: 1, index: 2), group: 0, correlation: 1, checksum: true))) else { Issue.record("read"); return }
        #expect(index == LogID(term: 1, nodeID: 1, index: 2))
        let failures: [RequestFailure] = [.timeout, .remote("boom"), .refused(Refusal(reason: .removed, detail: "gone"))]
        for failure in failures {
            guard case .failure(let decoded) = try Frames.decodeResponse(try parseOne(Frames.failure(failure, group: 0, correlation: 1, checksum: true))) else { Issue.record("failure"); continue }
            #expect(decoded == failure)
        }
    }

    @Test func handshakeFramesRoundTrip() throws {
        let hello = Hello(versions: 1...3, clusterID: "prod-é", sender: 4, target: 5, lane: .snapshot)
        var reader = BodyReader(try parseOne(Frames.hello(hello, checksum: true)))
        #expect(try Hello.decode(&reader) == hello)
        for reason in RefusalReason.allCases {
            var refusalReader = BodyReader(try parseOne(Frames.refusal(Refusal(reason: reason, detail: "why"), checksum: true)))
            #expect(try Refusal.decode(&refusalReader) == Refusal(reason: reason, detail: "why"))
        }
    }

    // MARK: Framing

    @Test func framesArriveByteByByte() throws {
        let frame = Frames.voteRequest(VoteRequest(vote: Vote(term: 1, votedFor: 1), lastLogID: nil, isPreVote: false, rpcID: 1), group: 0, correlation: 1, timeout: .seconds(1), checksum: true)
        var stream = ByteBuffer()
        for (position, byte) in frame.readableBytesView.enumerated() {
            stream.writeInteger(byte)
            let parsed = try FrameDecoder.parse(&stream, maxFrameSize: Self.limit)
            #expect((parsed != nil) == (position == frame.readableBytes - 1))
        }
        // Two frames back to back come out one by one.
        var two = frame
        two.writeImmutableBuffer(frame)
        #expect(try FrameDecoder.parse(&two, maxFrameSize: Self.limit) != nil)
        #expect(try FrameDecoder.parse(&two, maxFrameSize: Self.limit) != nil)
        #expect(try FrameDecoder.parse(&two, maxFrameSize: Self.limit) == nil)
    }

    func parseError(_ bytes: ByteBuffer, limit: Int = FrameCodecTests.limit) -> FrameError? {
        var buffer = bytes
        do {
            _ = try FrameDecoder.parse(&buffer, maxFrameSize: limit)
            return nil
        } catch {
            return error
        }
    }

    func validFrame() -> ByteBuffer {
        Frames.readIndex(group: 3, correlation: 4, timeout: .seconds(1), checksum: true)
    }

    func patched(_ offset: Int, _ byte: UInt8, keepPrefix: Int? = nil) -> ByteBuffer {
        var frame = validFrame()
        frame.setInteger(byte, at: offset)
        if let keepPrefix { frame = frame.getSlice(at: 0, length: keepPrefix)! }
        return frame
    }

    @Test func badHeadersAreTypedErrorsAsSoonAsTheirBytesArrive() {
        // The magic is checked with 6 bytes present, the version with 7, the kind with 8, flags with 12.
        #expect(parseError(patched(4, 0x00, keepPrefix: 6)) == .badMagic(0x0046))
        #expect(parseError(patched(6, 9, keepPrefix: 7)) == .unsupportedVersion(9))
        #expect(parseError(patched(7, 200, keepPrefix: 8)) == .unknownKind(200))
        #expect(parseError(patched(8, 0x81, keepPrefix: 12)) == .reservedBitsSet)
        #expect(parseError(patched(10, 0x01, keepPrefix: 12)) == .reservedBitsSet)
        var huge = ByteBuffer()
        huge.writeInteger(UInt32.max)
        #expect(parseError(huge) == .frameTooLarge(length: Int(UInt32.max) + 4, limit: Self.limit))
        var tiny = ByteBuffer()
        tiny.writeInteger(UInt32(3))
        #expect(parseError(tiny) == .frameTooSmall(length: 3))
        // A frame within the default limit can be above a configured one.
        #expect(parseError(validFrame(), limit: 20) == .frameTooLarge(length: validFrame().readableBytes, limit: 20))
        // Fewer than four bytes: nothing to say yet.
        #expect(parseError(ByteBuffer(bytes: [0, 0])) == nil)
    }

    @Test func aFlippedBitFailsTheChecksum() throws {
        let frame = validFrame()
        for offset in 12..<frame.readableBytes {
            var flipped = frame
            flipped.setInteger(frame.getInteger(at: offset, as: UInt8.self)! ^ 0x10, at: offset)
            guard case .checksumMismatch = parseError(flipped) else { Issue.record("offset \(offset) not caught"); continue }
        }
    }

    @Test func malformedBodiesAreTypedErrors() throws {
        func body(_ kind: FrameKind, _ write: (inout ByteBuffer) -> Void) -> Frame {
            var buffer = ByteBuffer()
            write(&buffer)
            return Frame(kind: kind, version: 1, group: 0, correlation: 1, body: buffer)
        }
        func requestError(_ frame: Frame) -> FrameError? {
            do {
                _ = try Frames.decodeRequest(frame, as: KVTypes.self)
                return nil
            } catch { return error }
        }
        // Truncated: a vote request cut after its timeout.
        #expect(requestError(body(.voteRequest) { $0.writeInteger(UInt32(10)) }) != nil)
        // Trailing bytes after a complete read-index request.
        guard case .malformedBody = requestError(body(.readIndexRequest) { $0.writeInteger(UInt32(10)); $0.writeInteger(UInt8(1)) }) else { Issue.record("trailing"); return }
        // A forged entry count larger than the body.
        let forged = body(.appendRequest) { buffer in
            buffer.writeInteger(UInt32(10))
            buffer.writeVote(Vote(term: 1, votedFor: 1, committed: true))
            buffer.writeLogID(nil)
            buffer.writeLogID(nil)
            buffer.writeInteger(UInt64(1))
            buffer.writeInteger(UInt32.max)
        }
        guard case .malformedBody(_, let reason) = requestError(forged) else { Issue.record("forged count"); return }
        #expect(reason.contains("exceeds the body"))
        // A vote flag byte that is not a flag set, and a committed vote without a leader.
        #expect(requestError(body(.voteRequest) { $0.writeInteger(UInt32(10)); $0.writeInteger(UInt64(1)); $0.writeInteger(UInt64(0)); $0.writeInteger(UInt8(0xF0)) }) != nil)
        #expect(requestError(body(.voteRequest) { $0.writeInteger(UInt32(10)); $0.writeInteger(UInt64(1)); $0.writeInteger(UInt64(0)); $0.writeInteger(UInt8(2)) }) != nil)
        // An invalid membership (a learner that also votes) in an entry.
        let badMembership = body(.appendRequest) { buffer in
            buffer.writeInteger(UInt32(10))
            buffer.writeVote(Vote(term: 1, votedFor: 1, committed: true))
            buffer.writeLogID(nil)
            buffer.writeLogID(nil)
            buffer.writeInteger(UInt64(1))
            buffer.writeInteger(UInt32(1))
            buffer.writeInteger(EntryTag.membership | EntryTag.newLeader)
            buffer.writeLeaderID(LeaderID(term: 1, nodeID: 1))
            buffer.writeMembershipConfig(MembershipConfig(voters: [1, 2], learners: [2]))
            buffer.writeInteger(UInt16(0))
        }
        guard case .malformedBody(_, let membershipReason) = requestError(badMembership) else { Issue.record("membership"); return }
        #expect(membershipReason.contains("membership"))
        // A response kind where a request is expected.
        #expect(requestError(body(.voteResponse) { _ in }) != nil)
    }
}
