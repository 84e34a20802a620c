/// Decodes values written by ``BinaryEncoder``.
///
/// Safe on untrusted input: every length is checked against the bytes that remain, containers
/// carry no element counts to trust, nesting is bounded by ``maxDepth``, and every failure is a
/// ``BinaryDecodingError``.
public struct BinaryDecoder: Sendable {
    /// The deepest container nesting accepted; only recursive types can approach it.
    public static let maxDepth = 256

    /// A decoder; it holds no state, so one can be shared.
    public init() {}

    /// Decodes one value that must fill `bytes` exactly.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(BinaryDecodingError) -> T {
        try decode(type, from: bytes, in: 0..<bytes.count)
    }

    /// Decodes one value that must fill `bytes[range]` exactly; lets a caller decode a record
    /// inside a larger buffer without copying it out.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], in range: Range<Int>) throws(BinaryDecodingError) -> T {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            throw BinaryDecodingError(kind: .lengthOutOfBounds, offset: range.lowerBound)
        }
        var position = range.lowerBound
        let frame = try FrameReader.readFrame(bytes, &position, end: range.upperBound)
        guard position == range.upperBound else {
            throw BinaryDecodingError(kind: .trailingBytes, offset: position)
        }
        let decoder = BinaryValueDecoder(input: bytes, frame: frame, depth: 0, codingPath: [])
        do {
            return try decoder.decodeValue(type)
        } catch let error as BinaryDecodingError {
            throw error
        } catch {
            throw BinaryDecodingError(kind: .invalidValue(String(describing: error)), offset: range.lowerBound)
        }
    }
}

/// Where one value's content lies in the input.
struct Frame {
    var start: Int
    var end: Int
    var isNil: Bool
}

enum FrameReader {
    /// Reads one frame starting at `position`, bounded by `end`.
    @inline(__always)
    static func readFrame(_ bytes: [UInt8], _ position: inout Int, end: Int) throws(BinaryDecodingError) -> Frame {
        let tagOffset = position
        guard position < end else { throw BinaryDecodingError(kind: .truncated, offset: position) }
        guard let tag = Varint.read(bytes, &position, end: end) else {
            throw BinaryDecodingError(kind: .malformedVarint, offset: tagOffset)
        }
        if tag == 0 { return Frame(start: position, end: position, isNil: true) }
        let length = tag - 1
        guard length <= UInt64(end - position) else {
            throw BinaryDecodingError(kind: .lengthOutOfBounds, offset: tagOffset)
        }
        let start = position
        position += Int(length)
        return Frame(start: start, end: position, isNil: false)
    }
}
