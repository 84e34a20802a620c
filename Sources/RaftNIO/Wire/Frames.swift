import NIOCore
import Raft
import RaftCore

/// A request as the server decodes it, with the time the sender allows for its answer.
@usableFromInline enum IncomingRequest<T: RaftWireTypes> {
    case append(AppendEntriesRequest<T>, timeout: Duration)
    case vote(VoteRequest, timeout: Duration)
    case snapshotChunk(SnapshotChunk<T>, timeout: Duration)
    case timeoutNow(TimeoutNowRequest)
    case readIndex(timeout: Duration)
}

/// A response as the client decodes it.
@usableFromInline enum IncomingResponse: Sendable {
    case append(AppendEntriesResponse)
    case vote(VoteResponse)
    case snapshotChunk(SnapshotChunkResponse)
    case timeoutNow
    case readIndex(LogID?)
    case failure(RequestFailure)
}

/// Builds and reads whole frames of each kind (header, body, checksum).
@usableFromInline enum Frames {
    /// Requests carry the time their sender waits for the answer, in milliseconds, so the
    /// receiver answers (or fails) before the sender gives up.
    @inlinable static func timeoutMillis(_ timeout: Duration) -> UInt32 {
        let (seconds, attoseconds) = timeout.components
        guard seconds >= 0 else { return 0 }
        let millis = seconds.multipliedReportingOverflow(by: 1000)
        guard !millis.overflow else { return UInt32.max }
        return UInt32(clamping: millis.partialValue + attoseconds / 1_000_000_000_000_000)
    }

    @inlinable static func frame(
        _ kind: FrameKind, group: RaftGroupID, correlation: UInt64, checksum: Bool, capacity: Int = 128,
        allocator: ByteBufferAllocator = ByteBufferAllocator(), body: (inout ByteBuffer) throws -> Void
    ) rethrows -> ByteBuffer {
        var buffer = allocator.buffer(capacity: capacity)
        let start = buffer.beginFrame(kind, group: group, correlation: correlation, checksum: checksum)
        try body(&buffer)
        buffer.endFrame(startingAt: start, checksum: checksum)
        return buffer
    }

    // MARK: Requests

    @inlinable static func appendRequest<T: RaftWireTypes>(_ request: AppendEntriesRequest<T>, group: RaftGroupID, correlation: UInt64, timeout: Duration, checksum: Bool) throws -> ByteBuffer {
        var capacity = 96
        for entry in request.entries { capacity += 8 + entry.byteCount }
        return try frame(.appendRequest, group: group, correlation: correlation, checksum: checksum, capacity: capacity) { buffer in
            buffer.writeInteger(timeoutMillis(timeout))
            try buffer.writeAppendRequest(request)
        }
    }

    @inlinable static func voteRequest(_ request: VoteRequest, group: RaftGroupID, correlation: UInt64, timeout: Duration, checksum: Bool) -> ByteBuffer {
        frame(.voteRequest, group: group, correlation: correlation, checksum: checksum) { buffer in
            buffer.writeInteger(timeoutMillis(timeout))
            buffer.writeVoteRequest(request)
        }
    }

    @inlinable static func snapshotChunk<T: RaftWireTypes>(_ chunk: SnapshotChunk<T>, group: RaftGroupID, correlation: UInt64, timeout: Duration, checksum: Bool) throws -> ByteBuffer {
        try frame(.snapshotChunkRequest, group: group, correlation: correlation, checksum: checksum, capacity: chunk.data.count + 256) { buffer in
            buffer.writeInteger(timeoutMillis(timeout))
            try buffer.writeSnapshotChunk(chunk)
        }
    }

    @inlinable static func timeoutNow(_ request: TimeoutNowRequest, group: RaftGroupID, correlation: UInt64, checksum: Bool) -> ByteBuffer {
        frame(.timeoutNowRequest, group: group, correlation: correlation, checksum: checksum) { buffer in
            buffer.writeTimeoutNow(request)
        }
    }

    @inlinable static func readIndex(group: RaftGroupID, correlation: UInt64, timeout: Duration, checksum: Bool) -> ByteBuffer {
        frame(.readIndexRequest, group: group, correlation: correlation, checksum: checksum) { buffer in
            buffer.writeInteger(timeoutMillis(timeout))
        }
    }

    @inlinable static func decodeRequest<T: RaftWireTypes>(_ frame: Frame, as _: T.Type) throws(FrameError) -> IncomingRequest<T> {
        var reader = BodyReader(frame)
        func timeout() throws(FrameError) -> Duration { .milliseconds(Int64(try reader.u32("timeout"))) }
        let request: IncomingRequest<T>
        switch frame.kind {
        case .appendRequest:
            let limit = try timeout()
            request = .append(try reader.appendRequest(T.self), timeout: limit)
        case .voteRequest:
            let limit = try timeout()
            request = .vote(try reader.voteRequest(), timeout: limit)
        case .snapshotChunkRequest:
            let limit = try timeout()
            request = .snapshotChunk(try reader.snapshotChunk(T.self), timeout: limit)
        case .timeoutNowRequest:
            request = .timeoutNow(try reader.timeoutNow())
        case .readIndexRequest:
            request = .readIndex(timeout: try timeout())
        default:
            throw reader.malformed("not a request")
        }
        try reader.finish()
        return request
    }

    // MARK: Responses

    @inlinable static func appendResponse(_ response: AppendEntriesResponse, group: RaftGroupID, correlation: UInt64, checksum: Bool) -> ByteBuffer {
        frame(.appendResponse, group: group, correlation: correlation, checksum: checksum, capacity: 96) { $0.writeAppendResponse(response) }
    }

    @inlinable static func voteResponse(_ response: VoteResponse, group: RaftGroupID, correlation: UInt64, checksum: Bool) -> ByteBuffer {
        frame(.voteResponse, group: group, correlation: correlation, checksum: checksum, capacity: 112) { $0.writeVoteResponse(response) }
    }

    @inlinable static func snapshotChunkResponse(_ response: SnapshotChunkResponse, group: RaftGroupID, correlation: UInt64, checksum: Bool) -> ByteBuffer {
        frame(.snapshotChunkResponse, group: group, correlation: correlation, checksum: checksum) { $0.writeSnapshotChunkResponse(response) }
    }

    @inlinable static func timeoutNowResponse(group: RaftGroupID, correlation: UInt64, checksum: Bool) -> ByteBuffer {
        frame(.timeoutNowResponse, group: group, correlation: correlation, checksum: checksum, capacity: 32) { _ in }
    }

    @inlinable static func readIndexResponse(_ readIndex: LogID?, group: RaftGroupID, correlation: UInt64, checksum: Bool) -> ByteBuffer {
        frame(.readIndexResponse, group: group, correlation: correlation, checksum: checksum, capacity: 64) { $0.writeLogID(readIndex) }
    }

    @inlinable static func failure(_ failure: RequestFailure, group: RaftGroupID, correlation: UInt64, checksum: Bool) -> ByteBuffer {
        frame(.errorResponse, group: group, correlation: correlation, checksum: checksum) { failure.encode(into: &$0) }
    }

    @inlinable static func decodeResponse(_ frame: Frame) throws(FrameError) -> IncomingResponse {
        var reader = BodyReader(frame)
        let response: IncomingResponse
        switch frame.kind {
        case .appendResponse: response = .append(try reader.appendResponse())
        case .voteResponse: response = .vote(try reader.voteResponse())
        case .snapshotChunkResponse: response = .snapshotChunk(try reader.snapshotChunkResponse())
        case .timeoutNowResponse: response = .timeoutNow
        case .readIndexResponse: response = .readIndex(try reader.logID())
        case .errorResponse: return .failure(try RequestFailure.decode(&reader))
        default: throw reader.malformed("not a response")
        }
        try reader.finish()
        return response
    }

    // MARK: Handshake

    @inlinable static func hello(_ hello: Hello, checksum: Bool) -> ByteBuffer {
        frame(.hello, group: 0, correlation: 0, checksum: checksum) { hello.encode(into: &$0) }
    }

    @inlinable static func helloAccepted(_ accepted: HelloAccepted, checksum: Bool) -> ByteBuffer {
        frame(.helloAccepted, group: 0, correlation: 0, checksum: checksum) { accepted.encode(into: &$0) }
    }

    @inlinable static func refusal(_ refusal: Refusal, checksum: Bool) -> ByteBuffer {
        frame(.refusal, group: 0, correlation: 0, checksum: checksum) { refusal.encode(into: &$0) }
    }
}
