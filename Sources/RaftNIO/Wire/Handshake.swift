import NIOCore
import Raft

/// Which traffic a connection carries. Snapshot chunks travel on a connection of their own so
/// that megabytes of snapshot never sit in front of a heartbeat or a vote.
enum ConnectionLane: UInt8, Sendable, CustomStringConvertible {
    case main = 0
    case snapshot = 1

    var description: String { self == .main ? "main" : "snapshot" }
}

/// The first frame a client sends on a connection.
struct Hello: Hashable, Sendable {
    var versions: ClosedRange<UInt8>
    var clusterID: String
    var sender: NodeID
    var target: NodeID
    var lane: ConnectionLane

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(versions.lowerBound)
        buffer.writeInteger(versions.upperBound)
        buffer.writeInteger(sender)
        buffer.writeInteger(target)
        buffer.writeInteger(lane.rawValue)
        buffer.writeShortString(clusterID)
    }

    static func decode(_ reader: inout BodyReader) throws(FrameError) -> Hello {
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
struct HelloAccepted: Hashable, Sendable {
    var version: UInt8
    var server: NodeID

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(version)
        buffer.writeInteger(server)
    }

    static func decode(_ reader: inout BodyReader) throws(FrameError) -> HelloAccepted {
        let accepted = HelloAccepted(version: try reader.u8("accepted.version"), server: try reader.u64("accepted.server"))
        try reader.finish()
        return accepted
    }
}

/// Wire codes of ``RefusalReason`` (stable: never renumber).
extension RefusalReason {
    var wireCode: UInt8 {
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

    init?(wireCode: UInt8) {
        guard let reason = RefusalReason.allCases.first(where: { $0.wireCode == wireCode }) else { return nil }
        self = reason
    }
}

/// A refusal: of a connection (a `refusal` frame, after which the connection closes), or of
/// one request (inside an `errorResponse`).
struct Refusal: Hashable, Sendable, Error {
    var reason: RefusalReason
    var detail: String

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(reason.wireCode)
        buffer.writeShortString(detail)
    }

    static func decode(_ reader: inout BodyReader) throws(FrameError) -> Refusal {
        let code = try reader.u8("refusal.reason")
        guard let reason = RefusalReason(wireCode: code) else { throw reader.malformed("refusal reason \(code)") }
        let refusal = Refusal(reason: reason, detail: try reader.string("refusal.detail"))
        try reader.finish()
        return refusal
    }
}

/// The body of an `errorResponse`: why one request got no regular answer.
enum RequestFailure: Hashable, Sendable {
    case refused(Refusal)
    /// The node's handler failed the request (it stopped, the call was superseded...).
    case remote(String)
    /// The node did not answer within the request's timeout.
    case timeout

    func encode(into buffer: inout ByteBuffer) {
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

    static func decode(_ reader: inout BodyReader) throws(FrameError) -> RequestFailure {
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

    init(_ error: RPCError) {
        switch error {
        case .timeout: self = .timeout
        case let .refused(reason, detail): self = .refused(Refusal(reason: reason, detail: detail))
        case .remote(let detail), .network(let detail), .unreachable(let detail): self = .remote(detail)
        }
    }

    var rpcError: RPCError {
        switch self {
        case .refused(let refusal): return .refused(refusal.reason, refusal.detail)
        case .remote(let detail): return .remote(detail)
        case .timeout: return .timeout
        }
    }
}
