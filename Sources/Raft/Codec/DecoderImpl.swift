/// Decodes one value from its frame.
///
/// A keyed container parses its fields once, then serves lookups from a cursor: decoders ask
/// for fields in the order encoders wrote them (declaration order, or `allKeys` order for
/// dictionaries), so each lookup is usually one comparison.
final class BinaryValueDecoder: Decoder {
    struct Field {
        var keyStart: Int
        var keyEnd: Int
        var value: Frame
    }

    let input: [UInt8]
    let frame: Frame
    let depth: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Fields of this value's keyed container, parsed on first use.
    var fields: [Field]?
    var cursor = 0

    init(input: [UInt8], frame: Frame, depth: Int, codingPath: [any CodingKey]) {
        self.input = input
        self.frame = frame
        self.depth = depth
        self.codingPath = codingPath
    }

    func failure(_ kind: BinaryDecodingError.Kind, at offset: Int, key: (any CodingKey)? = nil) -> BinaryDecodingError {
        let path = key.map { codingPath + [$0] } ?? codingPath
        return BinaryDecodingError(kind: kind, offset: offset, codingPath: path.dottedPath)
    }

    func child(_ frame: Frame, key: any CodingKey) -> BinaryValueDecoder {
        BinaryValueDecoder(input: input, frame: frame, depth: depth + 1, codingPath: codingPath + [key])
    }

    // MARK: Decoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try checkContainerAllowed()
        if fields == nil { fields = try parseFields() }
        return KeyedDecodingContainer(BinaryKeyedDecodingContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try checkContainerAllowed()
        return BinaryUnkeyedDecodingContainer(decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleValueDecodingContainer(decoder: self)
    }

    private func checkContainerAllowed() throws(BinaryDecodingError) {
        if frame.isNil { throw failure(.unexpectedNil, at: frame.start) }
        if depth > BinaryDecoder.maxDepth { throw failure(.nestingTooDeep, at: frame.start) }
    }

    private func parseFields() throws(BinaryDecodingError) -> [Field] {
        var result: [Field] = []
        var position = frame.start
        let end = frame.end
        while position < end {
            let keyOffset = position
            guard let keyLength = Varint.read(input, &position, end: end) else {
                throw failure(.malformedVarint, at: keyOffset)
            }
            guard keyLength <= UInt64(end - position) else { throw failure(.lengthOutOfBounds, at: keyOffset) }
            let keyStart = position
            position += Int(keyLength)
            let value = try FrameReader.readFrame(input, &position, end: end)
            result.append(Field(keyStart: keyStart, keyEnd: keyStart + Int(keyLength), value: value))
        }
        return result
    }

    // MARK: Keyed lookups

    func field(named key: some CodingKey) -> Field? {
        guard let fields else { return nil }
        var name = key.stringValue
        return name.withUTF8 { utf8 -> Field? in
            // The next field, then the one just read (decodeIfPresent asks twice), then a scan.
            if cursor < fields.count, keyMatches(fields[cursor], utf8) {
                cursor += 1
                return fields[cursor - 1]
            }
            if cursor > 0, keyMatches(fields[cursor - 1], utf8) {
                return fields[cursor - 1]
            }
            for index in fields.indices where keyMatches(fields[index], utf8) {
                cursor = index + 1
                return fields[index]
            }
            return nil
        }
    }

    private func keyMatches(_ field: Field, _ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard field.keyEnd - field.keyStart == utf8.count else { return false }
        var index = field.keyStart
        for byte in utf8 {
            if input[index] != byte { return false }
            index += 1
        }
        return true
    }

    func keyString(_ field: Field) -> String {
        String(decoding: input[field.keyStart..<field.keyEnd], as: UTF8.self)
    }

    // MARK: Values

    /// Decodes `T` from this decoder's frame; common leaf types skip `init(from:)`.
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == String.self { return unsafeBitCast(try ContentReader.string(input, frame), to: T.self) }
        if T.self == [UInt8].self { return unsafeBitCast(try ContentReader.bytes(input, frame), to: T.self) }
        if T.self == UInt64.self { return unsafeBitCast(try ContentReader.unsigned(input, frame), to: T.self) }
        if T.self == Int.self {
            let value: Int = try ContentReader.narrow(ContentReader.signed(input, frame), frame)
            return unsafeBitCast(value, to: T.self)
        }
        if T.self == Bool.self { return unsafeBitCast(try ContentReader.bool(input, frame), to: T.self) }
        do {
            return try T(from: self)
        } catch var error as BinaryDecodingError {
            if error.codingPath.isEmpty { error.codingPath = codingPath.dottedPath }
            throw error
        } catch {
            throw failure(.invalidValue(String(describing: error)), at: frame.start)
        }
    }

    func decodeChild<T: Decodable>(_ type: T.Type, _ frame: Frame, key: any CodingKey) throws -> T {
        try child(frame, key: key).decodeValue(type)
    }
}

/// Parses the content of primitive values.
enum ContentReader {
    static func unsigned(_ input: [UInt8], _ frame: Frame) throws(BinaryDecodingError) -> UInt64 {
        if frame.isNil { throw BinaryDecodingError(kind: .unexpectedNil, offset: frame.start) }
        var position = frame.start
        guard let value = Varint.read(input, &position, end: frame.end) else {
            throw BinaryDecodingError(kind: frame.start == frame.end ? .truncated : .malformedVarint, offset: frame.start)
        }
        guard position == frame.end else { throw BinaryDecodingError(kind: .trailingBytes, offset: position) }
        return value
    }

    static func signed(_ input: [UInt8], _ frame: Frame) throws(BinaryDecodingError) -> Int64 {
        Varint.unzigzag(try unsigned(input, frame))
    }

    static func narrow<I: FixedWidthInteger>(_ value: some FixedWidthInteger, _ frame: Frame) throws(BinaryDecodingError) -> I {
        guard let narrowed = I(exactly: value) else {
            throw BinaryDecodingError(kind: .valueOutOfRange, offset: frame.start)
        }
        return narrowed
    }

    static func byte(_ input: [UInt8], _ frame: Frame) throws(BinaryDecodingError) -> UInt8 {
        if frame.isNil { throw BinaryDecodingError(kind: .unexpectedNil, offset: frame.start) }
        guard frame.end - frame.start == 1 else {
            throw BinaryDecodingError(kind: frame.end == frame.start ? .truncated : .valueOutOfRange, offset: frame.start)
        }
        return input[frame.start]
    }

    static func bool(_ input: [UInt8], _ frame: Frame) throws(BinaryDecodingError) -> Bool {
        switch try byte(input, frame) {
        case 0: return false
        case 1: return true
        default: throw BinaryDecodingError(kind: .invalidBool, offset: frame.start)
        }
    }

    static func fixed(_ input: [UInt8], _ frame: Frame, byteCount: Int) throws(BinaryDecodingError) -> UInt64 {
        if frame.isNil { throw BinaryDecodingError(kind: .unexpectedNil, offset: frame.start) }
        guard frame.end - frame.start == byteCount else {
            throw BinaryDecodingError(kind: .valueOutOfRange, offset: frame.start)
        }
        var bits: UInt64 = 0
        for index in 0..<byteCount {
            bits |= UInt64(input[frame.start + index]) << UInt64(index * 8)
        }
        return bits
    }

    static func string(_ input: [UInt8], _ frame: Frame) throws(BinaryDecodingError) -> String {
        if frame.isNil { throw BinaryDecodingError(kind: .unexpectedNil, offset: frame.start) }
        guard let string = String(validating: input[frame.start..<frame.end], as: UTF8.self) else {
            throw BinaryDecodingError(kind: .invalidUTF8, offset: frame.start)
        }
        return string
    }

    static func bytes(_ input: [UInt8], _ frame: Frame) throws(BinaryDecodingError) -> [UInt8] {
        if frame.isNil { throw BinaryDecodingError(kind: .unexpectedNil, offset: frame.start) }
        return Array(input[frame.start..<frame.end])
    }

    static func double(_ input: [UInt8], _ frame: Frame) throws(BinaryDecodingError) -> Double {
        Double(bitPattern: try fixed(input, frame, byteCount: 8))
    }

    static func float(_ input: [UInt8], _ frame: Frame) throws(BinaryDecodingError) -> Float {
        Float(bitPattern: UInt32(truncatingIfNeeded: try fixed(input, frame, byteCount: 4)))
    }
}
