import NIOCore
import Raft
import RaftCore

/// A type configuration whose application types (commands and node addresses) can travel in
/// RaftNIO frames. Raft's own fields are always encoded by RaftNIO, field by field; only the
/// application's types go through these functions.
///
/// The defaults use the package's compact binary coder (`BinaryEncoder`/`BinaryDecoder`),
/// so conforming is one line:
///
/// ```swift
/// extension MyTypes: RaftWireTypes {}
/// ```
///
/// Implement the functions to choose another encoding (a command that already is bytes, a
/// protobuf message...). Responses never travel between nodes: the state machine's answer is
/// returned on the node that applied the write.
public protocol RaftWireTypes: RaftTypeConfig {
    /// Appends `command`'s encoding to `buffer`.
    @inlinable static func encodeCommand(_ command: Command, into buffer: inout ByteBuffer) throws
    /// Decodes a command from `buffer`, which holds exactly the bytes one `encodeCommand` wrote.
    @inlinable static func decodeCommand(from buffer: inout ByteBuffer) throws -> Command
    /// Appends `address`'s encoding to `buffer`.
    @inlinable static func encodeAddress(_ address: NodeAddress, into buffer: inout ByteBuffer) throws
    /// Decodes an address from `buffer`, which holds exactly the bytes one `encodeAddress` wrote.
    @inlinable static func decodeAddress(from buffer: inout ByteBuffer) throws -> NodeAddress
}

extension RaftWireTypes {
    /// The package's binary coder.
    @inlinable public static func encodeCommand(_ command: Command, into buffer: inout ByteBuffer) throws {
        buffer.writeBytes(try BinaryEncoder().encode(command))
    }

    /// The package's binary coder.
    @inlinable public static func decodeCommand(from buffer: inout ByteBuffer) throws -> Command {
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        return try BinaryDecoder().decode(Command.self, from: bytes)
    }

    /// The package's binary coder.
    @inlinable public static func encodeAddress(_ address: NodeAddress, into buffer: inout ByteBuffer) throws {
        buffer.writeBytes(try BinaryEncoder().encode(address))
    }

    /// The package's binary coder.
    @inlinable public static func decodeAddress(from buffer: inout ByteBuffer) throws -> NodeAddress {
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        return try BinaryDecoder().decode(NodeAddress.self, from: bytes)
    }
}

/// The key-value example's types travel with the default coder.
extension KVTypes: RaftWireTypes {}
