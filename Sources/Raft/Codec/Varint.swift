/// LEB128 varints and zigzag mapping, shared by the binary encoder and decoder.
///
/// Small numbers dominate Raft data (terms, node ids, lengths), so a varint usually takes one or
/// two bytes instead of eight.
enum Varint {
    /// The most bytes a 64-bit varint can take.
    static let maxByteCount = 10

    @inline(__always)
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: remaining))
    }

    @inline(__always)
    static func byteCount(_ value: UInt64) -> Int {
        var count = 1
        var remaining = value >> 7
        while remaining != 0 {
            count += 1
            remaining >>= 7
        }
        return count
    }

    /// Reads one varint from `bytes[position..<end]`, advancing `position`. Nil when the varint
    /// runs past `end` or does not fit in 64 bits.
    @inline(__always)
    static func read(_ bytes: [UInt8], _ position: inout Int, end: Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        while index < end {
            let byte = bytes[index]
            index += 1
            if shift == 63 && byte > 1 { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                position = index
                return result
            }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    @inline(__always)
    static func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    @inline(__always)
    static func unzigzag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }
}
