import RaftCore

/// Little-endian fixed-width fields of the on-disk formats.
extension Array where Element == UInt8 {
    @inlinable @inline(__always) mutating func appendLE(_ value: UInt64) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    @inlinable @inline(__always) mutating func appendLE(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    @inlinable @inline(__always) mutating func storeLE(_ value: UInt32, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 2] = UInt8(truncatingIfNeeded: value >> 16)
        self[offset + 3] = UInt8(truncatingIfNeeded: value >> 24)
    }

    /// Reads a field; the caller has checked `offset + 8 <= count`.
    @inlinable @inline(__always) func loadLE64(at offset: Int) -> UInt64 {
        withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }

    @inlinable @inline(__always) func loadLE32(at offset: Int) -> UInt32 {
        withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    /// Appends zeros up to the next multiple of `alignment`.
    @inlinable mutating func padToAlignment(_ alignment: Int) {
        let remainder = count % alignment
        if remainder != 0 { append(contentsOf: repeatElement(0, count: alignment - remainder)) }
    }
}

/// An optional log id as 32 fixed bytes: presence flag, index, term, node id.
@usableFromInline enum LogIDField {
    @usableFromInline static let byteCount = 32

    @inlinable static func append(_ logID: LogID?, to bytes: inout [UInt8]) {
        bytes.appendLE(UInt64(logID == nil ? 0 : 1))
        bytes.appendLE(logID?.index ?? 0)
        bytes.appendLE(logID?.term ?? 0)
        bytes.appendLE(logID?.leaderID.nodeID ?? 0)
    }

    /// Nil result means malformed (a flag other than 0/1, or junk in an absent id).
    @inlinable static func read(_ bytes: [UInt8], at offset: Int) -> LogID?? {
        let flag = bytes.loadLE64(at: offset)
        let index = bytes.loadLE64(at: offset + 8)
        let term = bytes.loadLE64(at: offset + 16)
        let node = bytes.loadLE64(at: offset + 24)
        switch flag {
        case 0: return index == 0 && term == 0 && node == 0 ? .some(nil) : nil
        case 1: return .some(LogID(term: term, nodeID: node, index: index))
        default: return nil
        }
    }
}
