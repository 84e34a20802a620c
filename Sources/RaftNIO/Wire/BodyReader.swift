import NIOCore

/// Reads a frame body field by field; every shortfall or bad value is a typed
/// ``FrameError/malformedBody(kind:reason:)`` naming the frame kind, never a crash.
@usableFromInline struct BodyReader {
    @usableFromInline var buffer: ByteBuffer
    @usableFromInline let kind: FrameKind

    @inlinable init(_ frame: Frame) {
        self.buffer = frame.body
        self.kind = frame.kind
    }

    @inlinable init(buffer: ByteBuffer, kind: FrameKind) {
        self.buffer = buffer
        self.kind = kind
    }

    @usableFromInline var remaining: Int { buffer.readableBytes }

    @inlinable func malformed(_ reason: String) -> FrameError {
        .malformedBody(kind: kind.description, reason: reason)
    }

    @inlinable mutating func integer<I: FixedWidthInteger>(_: I.Type = I.self, _ field: StaticString) throws(FrameError) -> I {
        guard let value = buffer.readInteger(as: I.self) else { throw malformed("truncated at \(field)") }
        return value
    }

    @inlinable mutating func u8(_ field: StaticString) throws(FrameError) -> UInt8 { try integer(UInt8.self, field) }
    @inlinable mutating func u16(_ field: StaticString) throws(FrameError) -> UInt16 { try integer(UInt16.self, field) }
    @inlinable mutating func u32(_ field: StaticString) throws(FrameError) -> UInt32 { try integer(UInt32.self, field) }
    @inlinable mutating func u64(_ field: StaticString) throws(FrameError) -> UInt64 { try integer(UInt64.self, field) }

    /// A 64-bit length or offset that must fit a non-negative `Int`.
    @inlinable mutating func count64(_ field: StaticString) throws(FrameError) -> Int {
        let value = try u64(field)
        guard value <= UInt64(Int.max) else { throw malformed("\(field) out of range") }
        return Int(value)
    }

    @inlinable mutating func bool(_ field: StaticString) throws(FrameError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw malformed("\(field) is \(other), not a boolean")
        }
    }

    /// A count of elements that each take at least `minimumSize` bytes: bounded by what is
    /// left, so a forged count cannot make the reader reserve memory it never fills.
    @inlinable mutating func count(_ field: StaticString, minimumSize: Int, wide: Bool = false) throws(FrameError) -> Int {
        let count = wide ? Int(try u32(field)) : Int(try u16(field))
        guard count <= remaining / max(minimumSize, 1) else { throw malformed("\(field) \(count) exceeds the body") }
        return count
    }

    /// `length` bytes as a slice of the body.
    @inlinable mutating func slice(_ length: Int, _ field: StaticString) throws(FrameError) -> ByteBuffer {
        guard length >= 0, let slice = buffer.readSlice(length: length) else { throw malformed("truncated in \(field)") }
        return slice
    }

    /// Bytes prefixed by a 32-bit length.
    @inlinable mutating func lengthPrefixed(_ field: StaticString) throws(FrameError) -> ByteBuffer {
        try slice(Int(try u32(field)), field)
    }

    @inlinable mutating func bytes(_ field: StaticString) throws(FrameError) -> [UInt8] {
        var slice = try lengthPrefixed(field)
        return slice.readBytes(length: slice.readableBytes) ?? []
    }

    /// A UTF-8 string prefixed by a 16-bit length.
    @inlinable mutating func string(_ field: StaticString) throws(FrameError) -> String {
        let length = Int(try u16(field))
        var slice = try slice(length, field)
        guard let string = slice.readString(length: length) else { throw malformed("\(field) is not a string") }
        return string
    }

    /// Fails unless every byte was read: trailing bytes mean sender and receiver disagree on
    /// the layout.
    @inlinable func finish() throws(FrameError) {
        if remaining != 0 { throw malformed("\(remaining) unexpected trailing bytes") }
    }
}

extension ByteBuffer {
    @inlinable mutating func writeBool(_ value: Bool) { writeInteger(UInt8(value ? 1 : 0)) }

    /// A string with a 16-bit length (truncated to 65,535 bytes of UTF-8, at a character
    /// boundary).
    @inlinable mutating func writeShortString(_ string: String) {
        var utf8 = Array(string.utf8)
        if utf8.count > Int(UInt16.max) {
            utf8 = Array(String(decoding: utf8.prefix(Int(UInt16.max) - 4), as: UTF8.self).utf8)
        }
        writeInteger(UInt16(utf8.count))
        writeBytes(utf8)
    }

    /// Reserves a 32-bit length, runs `body`, then fills the length with what it wrote.
    @inlinable mutating func writeLengthPrefixed<E: Error>(_ body: (inout ByteBuffer) throws(E) -> Void) throws(E) {
        let at = writerIndex
        writeInteger(UInt32(0))
        try body(&self)
        setInteger(UInt32(truncatingIfNeeded: writerIndex - at - 4), at: at)
    }
}
