import NIOCore
import Raft

/// Which traffic a connection carries. Snapshot chunks travel on a connection of their own so
/// that megabytes of snapshot never sit in front of a heartbeat or a vote.
@usableFromInline enum ConnectionLane: UInt8, Sendable, CustomStringConvertible {
    case main = 0
    case snapshot = 1

    @usableFromInline var description: String { self == .main ? "main" : "snapshot" }
}

/// The first frame a client sends on a connection.
@usableFromInline struct Hello: Hashable, Sendable {
    @usableFromInline var versions: ClosedRange<UInt8>
    @usableFromInline var clusterID: String
    @usableFromInline var sender: NodeID
    @usableFromInline var target: NodeID
    @usableFromInline var lane: ConnectionLane

    @inlinable init(versions: ClosedRange<UInt8>, clusterID: String, sender: NodeID, target: NodeID, lane: ConnectionLane) {
        self.versions = versions
        self.clusterID = clusterID
        self.sender = sender
        self.target = target
        self.lane = lane
    }

    @inlinable func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(versions.lowerBound)
        buffer.writeInteger(versions.upperBound)
        buffer.writeInteger(sender)
        buffer.writeInteger(target)
        buffer.writeInteger(lane.rawValue)
        buffer.writeShortString(clusterID)
    }

    @inlinable static func decode(_ reader: inout BodyReader) throws(FrameError) -> Hello {
        let low = try reader.u8("hello.minVersion")
        let high = try reader.u8("hello.maxVersion")
        guard low <= high else { throw reader.malformed("version range \(low)...\(high)") }
        let sender = try reader.u64("hello.sender")
        let target = try reader.u64("hello.target")
        guard let lane = ConnectionLane(rawValue: try reader.u8("hello.lane")) else { throw reader.malformed("unknown lane") }
        let clusterID = try reader.string("hello.cluster")
        try reader.finish()
        return Hello(versions: low...high, clusterID: clusterID, sender: sender, target: target, lane: lane)
    }
}

/// The server's acceptance of a hello: the version both sides speak from now on.
@usableFromInline struct HelloAccepted: Hashable, Sendable {
    @usableFromInline var version: UInt8
    @usableFromInline var server: NodeID

    @inlinable init(version: UInt8, server: NodeID) {
        self.version = version
        self.server = server
    }

    @inlinable func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(version)
        buffer.writeInteger(server)
    }

    @inlinable static func decode(_ reader: inout BodyReader) throws(FrameError) -> HelloAccepted {
        let accepted = HelloAccepted(version: try reader.u8("accepted.version"), server: try reader.u64("accepted.server"))
        try reader.finish()
        return accepted
    }
}

/// Wire codes of ``RefusalReason`` (stable: never renumber).
extension RefusalReason {
    @inlinable var wireCode: UInt8 {
        switch self {
        case .wrongCluster: return 1
        case .unsupportedVersion: return 2
        case .wrongNode: return 3
        case .removed: return 4
        case .unknownGroup: return 5
        case .identityMismatch: return 6
        case .tlsRequired: return 7
        case .protocolViolation: return 8
        case .shuttingDown: return 9
        case .tlsHandshakeFailed: return 10
        }
    }

    @inlinable init?(wireCode: UInt8) {
        guard let reason = RefusalReason.allCases.first(where: { $0.wireCode == wireCode }) else { return nil }
        self = reason
    }
}

/// A refusal: of a connection (a `refusal` frame, after which the connection closes), or of
/// one request (inside an `errorResponse`).
@usableFromInline struct Refusal: Hashable, Sendable, Error {
    @usableFromInline var reason: RefusalReason
    @usableFromInline var detail: String

    @inlinable init(reason: RefusalReason, detail: String) {
        self.reason = reason
        self.detail = detail
    }

    @inlinable func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(reason.wireCode)
        buffer.writeShortString(detail)
    }

    @inlinable static func decode(_ reader: inout BodyReader) throws(FrameError) -> Refusal {
        let code = try reader.u8("refusal.reason")
        guard let reason = RefusalReason(wireCode: code) else { throw reader.malformed("refusal reason \(code)") }
        let refusal = Refusal(reason: reason, detail: try reader.string("refusal.detail"))
        try reader.finish()
        return refusal
    }
}

/// The body of an `errorResponse`: why one request got no regular answer.
@usableFromInline enum RequestFailure: Hashable, Sendable {
    case refused(Refusal)
    /// The node's handler failed the request (it stopped, the call was superseded...).
    case remote(String)
    /// The node did not answer within the request's timeout.
    case timeout

    @inlinable func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .refused(let refusal):
            buffer.writeInteger(UInt8(0))
            refusal.encode(into: &buffer)
        case .remote(let detail):
            buffer.writeInteger(UInt8(1))
            buffer.writeShortString(detail)
        case .timeout:
            buffer.writeInteger(UInt8(2))
        }
    }

    @inlinable static func decode(_ reader: inout BodyReader) throws(FrameError) -> RequestFailure {
        switch try reader.u8("failure.kind") {
        case 0: return .refused(try Refusal.decode(&reader))
        case 1:
            let detail = try reader.string("failure.detail")
            try reader.finish()
            return .remote(detail)
        case 2:
            try reader.finish()
            return .timeout
        case let other: throw reader.malformed("failure kind \(other)")
        }
    }

    @inlinable init(_ error: RPCError) {
        switch error {
        case .timeout: self = .timeout
        case let .refused(reason, detail): self = .refused(Refusal(reason: reason, detail: detail))
        case .remote(let detail), .network(let detail), .unreachable(let detail): self = .remote(detail)
        }
    }

    @inlinable var rpcError: RPCError {
        switch self {
        case .refused(let refusal): return .refused(refusal.reason, refusal.detail)
        case .remote(let detail): return .remote(detail)
        case .timeout: return .timeout
        }
    }
}
