/// Encodes one value into its frame content.
///
/// Containers write straight into `bytes`. A nested container (or super encoder) may be filled
/// after its parent continues, so it gets its own child encoder, remembered in `deferred` at the
/// position where its frame belongs and spliced in when the parent's frame is written.
final class BinaryValueEncoder: Encoder {
    enum Kind { case none, keyed, unkeyed, single }

    let codingPath: [any CodingKey]
    let context: EncodingContext
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var kind: Kind = .none
    var bytes: [UInt8] = []
    var deferred: [(position: Int, child: BinaryValueEncoder)] = []
    var isNil = false
    var elementCount = 0

    init(codingPath: [any CodingKey], context: EncodingContext) {
        self.codingPath = codingPath
        self.context = context
    }

    // MARK: Encoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        claim(.keyed)
        return KeyedEncodingContainer(BinaryKeyedEncodingContainer<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        claim(.unkeyed)
        return BinaryUnkeyedEncodingContainer(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        claim(.single)
        return BinarySingleValueEncodingContainer(encoder: self)
    }

    /// Codable lets a type ask for the same kind of container twice; asking for a different
    /// kind would mix two layouts in one value, which no decoder could read back.
    private func claim(_ requested: Kind) {
        if kind == .none {
            kind = requested
        } else if kind != requested {
            context.record(BinaryEncodingError(
                reason: "a value asked for a \(requested) container after a \(kind) one",
                codingPath: codingPath.dottedPath))
        }
    }

    // MARK: Frames

    /// Appends this encoder's value, as a frame, to `out`.
    func writeFrame(into out: inout [UInt8]) {
        if isNil {
            out.append(0)
            return
        }
        if deferred.isEmpty {
            Varint.append(UInt64(bytes.count) + 1, to: &out)
            out.append(contentsOf: bytes)
            return
        }
        var content: [UInt8] = []
        content.reserveCapacity(bytes.count + deferred.count * 16)
        var copied = 0
        for (position, child) in deferred {
            content.append(contentsOf: bytes[copied..<position])
            child.writeFrame(into: &content)
            copied = position
        }
        content.append(contentsOf: bytes[copied...])
        Varint.append(UInt64(content.count) + 1, to: &out)
        out.append(contentsOf: content)
    }

    /// A child whose frame is written later, at the current position.
    func deferredChild(key: (any CodingKey)?) -> BinaryValueEncoder {
        let child = BinaryValueEncoder(codingPath: key.map { codingPath + [$0] } ?? codingPath, context: context)
        deferred.append((bytes.count, child))
        return child
    }

    func writeKey(_ key: some CodingKey) {
        var name = key.stringValue
        name.withUTF8 { utf8 in
            Varint.append(UInt64(utf8.count), to: &bytes)
            bytes.append(contentsOf: utf8)
        }
    }

    // MARK: Primitive frames (tag + content)

    @inline(__always) func writeUnsignedFrame(_ value: UInt64) {
        bytes.append(UInt8(Varint.byteCount(value) + 1))
        Varint.append(value, to: &bytes)
    }

    @inline(__always) func writeSignedFrame(_ value: Int64) {
        writeUnsignedFrame(Varint.zigzag(value))
    }

    @inline(__always) func writeByteFrame(_ value: UInt8) {
        bytes.append(2)
        bytes.append(value)
    }

    @inline(__always) func writeStringFrame(_ value: String) {
        var string = value
        string.withUTF8 { utf8 in
            Varint.append(UInt64(utf8.count) + 1, to: &bytes)
            bytes.append(contentsOf: utf8)
        }
    }

    @inline(__always) func writeBytesFrame(_ value: [UInt8]) {
        Varint.append(UInt64(value.count) + 1, to: &bytes)
        bytes.append(contentsOf: value)
    }

    @inline(__always) func writeFixedFrame(_ bits: UInt64, byteCount: Int) {
        bytes.append(UInt8(byteCount + 1))
        for shift in stride(from: 0, to: byteCount * 8, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
    }

    /// Writes `value` as a frame; common leaf types skip the child encoder entirely.
    func encodeFramed<T: Encodable>(_ value: T, key: (any CodingKey)?) throws {
        if writeFastFrame(value) { return }
        let child = BinaryValueEncoder(codingPath: key.map { codingPath + [$0] } ?? codingPath, context: context)
        try child.encodeValue(value)
        child.writeFrame(into: &bytes)
    }

    /// The frame fast paths. The type identity checks make the bit casts exact.
    @inline(__always)
    private func writeFastFrame<T: Encodable>(_ value: T) -> Bool {
        Self.appendFastFrame(value, to: &bytes)
    }

    @inline(__always)
    static func appendFastFrame<T: Encodable>(_ value: T, to bytes: inout [UInt8]) -> Bool {
        if T.self == String.self {
            var string = unsafeBitCast(value, to: String.self)
            string.withUTF8 { utf8 in
                Varint.append(UInt64(utf8.count) + 1, to: &bytes)
                bytes.append(contentsOf: utf8)
            }
            return true
        }
        if T.self == [UInt8].self {
            let array = unsafeBitCast(value, to: [UInt8].self)
            Varint.append(UInt64(array.count) + 1, to: &bytes)
            bytes.append(contentsOf: array)
            return true
        }
        if T.self == UInt64.self { appendUnsignedFrame(unsafeBitCast(value, to: UInt64.self), to: &bytes); return true }
        if T.self == Int.self { appendUnsignedFrame(Varint.zigzag(Int64(unsafeBitCast(value, to: Int.self))), to: &bytes); return true }
        if T.self == Bool.self {
            bytes.append(2)
            bytes.append(unsafeBitCast(value, to: Bool.self) ? 1 : 0)
            return true
        }
        if T.self == UInt32.self { appendUnsignedFrame(UInt64(unsafeBitCast(value, to: UInt32.self)), to: &bytes); return true }
        return false
    }

    @inline(__always)
    static func appendUnsignedFrame(_ value: UInt64, to bytes: inout [UInt8]) {
        bytes.append(UInt8(Varint.byteCount(value) + 1))
        Varint.append(value, to: &bytes)
    }

    /// Encodes `value` as this encoder's content (not framed).
    func encodeValue<T: Encodable>(_ value: T) throws {
        if T.self == String.self {
            claim(.single)
            var string = unsafeBitCast(value, to: String.self)
            string.withUTF8 { bytes.append(contentsOf: $0) }
        } else if T.self == [UInt8].self {
            claim(.single)
            bytes.append(contentsOf: unsafeBitCast(value, to: [UInt8].self))
        } else if let sorted = value as? any BinarySortedEncodable {
            try sorted.encodeSorted(to: self)
        } else {
            try value.encode(to: self)
        }
    }
}

// MARK: - Containers

struct BinaryKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: BinaryValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil(forKey key: Key) throws {
        encoder.writeKey(key)
        encoder.bytes.append(0)
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        encoder.writeKey(key)
        encoder.writeByteFrame(value ? 1 : 0)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        encoder.writeKey(key)
        encoder.writeStringFrame(value)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        encoder.writeKey(key)
        encoder.writeFixedFrame(value.bitPattern, byteCount: 8)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        encoder.writeKey(key)
        encoder.writeFixedFrame(UInt64(value.bitPattern), byteCount: 4)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws { try signed(Int64(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws {
        encoder.writeKey(key)
        encoder.writeByteFrame(UInt8(bitPattern: value))
    }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try signed(Int64(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try signed(Int64(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try signed(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try unsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        encoder.writeKey(key)
        encoder.writeByteFrame(value)
    }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try unsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try unsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try unsigned(value, key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        encoder.writeKey(key)
        try encoder.encodeFramed(value, key: key)
    }

    private func signed(_ value: Int64, _ key: Key) throws {
        encoder.writeKey(key)
        encoder.writeSignedFrame(value)
    }

    private func unsigned(_ value: UInt64, _ key: Key) throws {
        encoder.writeKey(key)
        encoder.writeUnsignedFrame(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        encoder.writeKey(key)
        return encoder.deferredChild(key: key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        encoder.writeKey(key)
        return encoder.deferredChild(key: key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let key = BinaryCodingKey(stringValue: "super")
        encoder.writeKey(key)
        return encoder.deferredChild(key: key)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        encoder.writeKey(key)
        return encoder.deferredChild(key: key)
    }
}

struct BinaryUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: BinaryValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { encoder.elementCount }

    private func nextKey() -> BinaryCodingKey {
        defer { encoder.elementCount += 1 }
        return BinaryCodingKey(intValue: encoder.elementCount)
    }

    mutating func encodeNil() throws {
        encoder.elementCount += 1
        encoder.bytes.append(0)
    }

    mutating func encode(_ value: Bool) throws {
        encoder.elementCount += 1
        encoder.writeByteFrame(value ? 1 : 0)
    }

    mutating func encode(_ value: String) throws {
        encoder.elementCount += 1
        encoder.writeStringFrame(value)
    }

    mutating func encode(_ value: Double) throws {
        encoder.elementCount += 1
        encoder.writeFixedFrame(value.bitPattern, byteCount: 8)
    }

    mutating func encode(_ value: Float) throws {
        encoder.elementCount += 1
        encoder.writeFixedFrame(UInt64(value.bitPattern), byteCount: 4)
    }

    mutating func encode(_ value: Int) throws { signed(Int64(value)) }
    mutating func encode(_ value: Int8) throws {
        encoder.elementCount += 1
        encoder.writeByteFrame(UInt8(bitPattern: value))
    }
    mutating func encode(_ value: Int16) throws { signed(Int64(value)) }
    mutating func encode(_ value: Int32) throws { signed(Int64(value)) }
    mutating func encode(_ value: Int64) throws { signed(value) }
    mutating func encode(_ value: UInt) throws { unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws {
        encoder.elementCount += 1
        encoder.writeByteFrame(value)
    }
    mutating func encode(_ value: UInt16) throws { unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { unsigned(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try encoder.encodeFramed(value, key: nextKey())
    }

    private func signed(_ value: Int64) {
        encoder.elementCount += 1
        encoder.writeSignedFrame(value)
    }

    private func unsigned(_ value: UInt64) {
        encoder.elementCount += 1
        encoder.writeUnsignedFrame(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        encoder.deferredChild(key: nextKey()).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        encoder.deferredChild(key: nextKey()).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        encoder.deferredChild(key: nextKey())
    }
}

struct BinarySingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: BinaryValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    /// A single-value container holds exactly one value; a second write would make the
    /// content unreadable, so it is reported instead of silently concatenated.
    private func begin() throws {
        if encoder.isNil || !encoder.bytes.isEmpty || !encoder.deferred.isEmpty {
            throw BinaryEncodingError(reason: "a single-value container was written twice",
                                      codingPath: encoder.codingPath.dottedPath)
        }
    }

    mutating func encodeNil() throws {
        try begin()
        encoder.isNil = true
    }

    mutating func encode(_ value: Bool) throws {
        try begin()
        encoder.bytes.append(value ? 1 : 0)
    }

    mutating func encode(_ value: String) throws {
        try begin()
        var string = value
        string.withUTF8 { encoder.bytes.append(contentsOf: $0) }
    }

    mutating func encode(_ value: Double) throws { try fixed(value.bitPattern, 8) }
    mutating func encode(_ value: Float) throws { try fixed(UInt64(value.bitPattern), 4) }
    mutating func encode(_ value: Int) throws { try unsigned(Varint.zigzag(Int64(value))) }
    mutating func encode(_ value: Int8) throws {
        try begin()
        encoder.bytes.append(UInt8(bitPattern: value))
    }
    mutating func encode(_ value: Int16) throws { try unsigned(Varint.zigzag(Int64(value))) }
    mutating func encode(_ value: Int32) throws { try unsigned(Varint.zigzag(Int64(value))) }
    mutating func encode(_ value: Int64) throws { try unsigned(Varint.zigzag(value)) }
    mutating func encode(_ value: UInt) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws {
        try begin()
        encoder.bytes.append(value)
    }
    mutating func encode(_ value: UInt16) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { try unsigned(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try begin()
        // The wrapped value becomes this value's content, whatever container it asks for.
        encoder.kind = .none
        try encoder.encodeValue(value)
    }

    private func unsigned(_ value: UInt64) throws {
        try begin()
        Varint.append(value, to: &encoder.bytes)
    }

    private func fixed(_ bits: UInt64, _ byteCount: Int) throws {
        try begin()
        for shift in stride(from: 0, to: byteCount * 8, by: 8) {
            encoder.bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
    }
}

/// A coding key for positions, dictionary keys and `super`.
struct BinaryCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = Int(stringValue)
    }

    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}
