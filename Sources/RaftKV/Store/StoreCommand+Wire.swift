import NIOCore
import RaftNIO

/// Why a command's wire bytes were refused.
struct StoreWireError: Error, CustomStringConvertible {
    var description: String
}

/// Commands travel between members in a byte layout of their own, written straight into the
/// frame's buffer: the Codable coder's per-value encoder objects were 6% of a write's CPU
/// (BENCHMARKS.md). Layout: a tag byte, then the fields; strings as a 32-bit big-endian
/// length and UTF-8 bytes; an optional string as a presence byte first; lists as a 16-bit
/// count. Decoding checks every length and tag, UTF-8, and that nothing is left over.
extension StoreTypes {
    public static func encodeCommand(_ command: StoreCommand, into buffer: inout ByteBuffer) throws {
        write(command, into: &buffer)
    }

    public static func decodeCommand(from buffer: inout ByteBuffer) throws -> StoreCommand {
        let command = try readCommand(from: &buffer, nested: false)
        guard buffer.readableBytes == 0 else { throw StoreWireError(description: "\(buffer.readableBytes) bytes after a command") }
        return command
    }

    private static func write(_ command: StoreCommand, into buffer: inout ByteBuffer) {
        switch command {
        case let .put(key, value):
            writePut(key, value, into: &buffer)
        case .delete(let key):
            writeDelete(key, into: &buffer)
        case let .compareAndSet(key, expected, new):
            buffer.writeInteger(UInt8(3))
            writeString(key, into: &buffer)
            writeOptional(expected, into: &buffer)
            writeOptional(new, into: &buffer)
        case .transaction(let transaction):
            buffer.writeInteger(UInt8(4))
            buffer.writeInteger(UInt16(transaction.compares.count))
            for compare in transaction.compares {
                switch compare {
                case let .valueEquals(key, value):
                    buffer.writeInteger(UInt8(1))
                    writeString(key, into: &buffer)
                    writeString(value, into: &buffer)
                case let .exists(key, exists):
                    buffer.writeInteger(UInt8(2))
                    writeString(key, into: &buffer)
                    buffer.writeInteger(UInt8(exists ? 1 : 0))
                }
            }
            for operations in [transaction.success, transaction.failure] {
                buffer.writeInteger(UInt16(operations.count))
                for operation in operations {
                    switch operation {
                    case let .put(key, value): writePut(key, value, into: &buffer)
                    case .delete(let key): writeDelete(key, into: &buffer)
                    }
                }
            }
        case let .exactlyOnce(client, sequence, command):
            buffer.writeInteger(UInt8(5))
            buffer.writeInteger(client)
            buffer.writeInteger(sequence)
            write(command, into: &buffer)
        }
    }

    /// A put and a delete have one layout (and tag) as commands and as a transaction's operations.
    private static func writePut(_ key: String, _ value: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(1))
        writeString(key, into: &buffer)
        writeString(value, into: &buffer)
    }

    private static func writeDelete(_ key: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(2))
        writeString(key, into: &buffer)
    }

    private static func writeString(_ string: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(string.utf8.count))
        buffer.writeString(string)
    }

    private static func writeOptional(_ string: String?, into buffer: inout ByteBuffer) {
        guard let string else {
            buffer.writeInteger(UInt8(0))
            return
        }
        buffer.writeInteger(UInt8(1))
        writeString(string, into: &buffer)
    }

    private static func readCommand(from buffer: inout ByteBuffer, nested: Bool) throws -> StoreCommand {
        switch try readByte(&buffer) {
        case 1: return .put(key: try readString(&buffer), value: try readString(&buffer))
        case 2: return .delete(key: try readString(&buffer))
        case 3:
            let key = try readString(&buffer)
            let expected = try readOptional(&buffer)
            return .compareAndSet(key: key, expected: expected, new: try readOptional(&buffer))
        case 4:
            var compares: [StoreCompare] = []
            for _ in 0..<(try readCount(&buffer)) {
                switch try readByte(&buffer) {
                case 1: compares.append(.valueEquals(key: try readString(&buffer), value: try readString(&buffer)))
                case 2:
                    let key = try readString(&buffer)
                    switch try readByte(&buffer) {
                    case 0: compares.append(.exists(key: key, false))
                    case 1: compares.append(.exists(key: key, true))
                    case let other: throw StoreWireError(description: "a compare's exists flag is \(other)")
                    }
                case let tag: throw StoreWireError(description: "unknown compare tag \(tag)")
                }
            }
            var lists: [[StoreOperation]] = []
            for _ in 0..<2 {
                var operations: [StoreOperation] = []
                for _ in 0..<(try readCount(&buffer)) {
                    switch try readByte(&buffer) {
                    case 1: operations.append(.put(key: try readString(&buffer), value: try readString(&buffer)))
                    case 2: operations.append(.delete(key: try readString(&buffer)))
                    case let tag: throw StoreWireError(description: "unknown operation tag \(tag)")
                    }
                }
                lists.append(operations)
            }
            return .transaction(StoreTransaction(compares: compares, success: lists[0], failure: lists[1]))
        case 5:
            // One session wrapper at most: a nested one would let a frame recurse without bound.
            guard !nested else { throw StoreWireError(description: "an exactly-once command inside another") }
            guard let client = buffer.readInteger(as: UInt64.self), let sequence = buffer.readInteger(as: UInt64.self) else {
                throw StoreWireError(description: "a truncated exactly-once command")
            }
            return .exactlyOnce(client: client, sequence: sequence, command: try readCommand(from: &buffer, nested: true))
        case let tag:
            throw StoreWireError(description: "unknown command tag \(tag)")
        }
    }

    private static func readByte(_ buffer: inout ByteBuffer) throws -> UInt8 {
        guard let byte = buffer.readInteger(as: UInt8.self) else { throw StoreWireError(description: "a truncated command") }
        return byte
    }

    private static func readCount(_ buffer: inout ByteBuffer) throws -> Int {
        guard let count = buffer.readInteger(as: UInt16.self) else { throw StoreWireError(description: "a truncated command") }
        return Int(count)
    }

    private static func readString(_ buffer: inout ByteBuffer) throws -> String {
        guard let length = buffer.readInteger(as: UInt32.self), Int(length) <= buffer.readableBytes else {
            throw StoreWireError(description: "a string longer than its command")
        }
        do {
            guard let string = try buffer.readUTF8ValidatedString(length: Int(length)) else {
                throw StoreWireError(description: "a truncated string")
            }
            return string
        } catch is ByteBuffer.ReadUTF8ValidationError {
            throw StoreWireError(description: "a string that is not UTF-8")
        }
    }

    private static func readOptional(_ buffer: inout ByteBuffer) throws -> String? {
        switch try readByte(&buffer) {
        case 0: return nil
        case 1: return try readString(&buffer)
        case let other: throw StoreWireError(description: "an optional string's presence byte is \(other)")
        }
    }
}
