struct BinaryKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: BinaryValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        (decoder.fields ?? []).compactMap { Key(stringValue: decoder.keyString($0)) }
    }

    func contains(_ key: Key) -> Bool { decoder.field(named: key) != nil }

    private func frame(for key: Key) throws(BinaryDecodingError) -> Frame {
        guard let field = decoder.field(named: key) else {
            throw decoder.failure(.keyNotFound(key.stringValue), at: decoder.frame.start, key: key)
        }
        return field.value
    }

    private func read<R>(_ key: Key, _ parse: ([UInt8], Frame) throws(BinaryDecodingError) -> R) throws(BinaryDecodingError) -> R {
        let frame = try frame(for: key)
        do {
            return try parse(decoder.input, frame)
        } catch {
            throw decoder.failure(error.kind, at: error.offset, key: key)
        }
    }

    private func integer<I: FixedWidthInteger>(_ key: Key) throws -> I {
        if I.isSigned {
            return try read(key) { input, frame throws(BinaryDecodingError) in try ContentReader.narrow(ContentReader.signed(input, frame), frame) }
        }
        return try read(key) { input, frame throws(BinaryDecodingError) in try ContentReader.narrow(ContentReader.unsigned(input, frame), frame) }
    }

    func decodeNil(forKey key: Key) throws -> Bool { try frame(for: key).isNil }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try read(key, ContentReader.bool) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try read(key, ContentReader.string) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try read(key, ContentReader.double) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try read(key, ContentReader.float) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { Int8(bitPattern: try read(key, ContentReader.byte)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try read(key, ContentReader.byte) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.decodeChild(type, try frame(for: key), key: key)
    }

    /// One lookup instead of the default's three (contains, decodeNil, decode).
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let field = decoder.field(named: key), !field.value.isNil else { return nil }
        return try decoder.decodeChild(type, field.value, key: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder.child(try frame(for: key), key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.child(try frame(for: key), key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        let key = BinaryCodingKey(stringValue: "super")
        guard let field = decoder.field(named: key) else {
            throw decoder.failure(.keyNotFound("super"), at: decoder.frame.start, key: key)
        }
        return decoder.child(field.value, key: key)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        decoder.child(try frame(for: key), key: key)
    }
}

struct BinaryUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: BinaryValueDecoder
    var position: Int
    var currentIndex = 0

    init(decoder: BinaryValueDecoder) {
        self.decoder = decoder
        self.position = decoder.frame.start
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var isAtEnd: Bool { position >= decoder.frame.end }

    /// Counted by walking the remaining frames: the format stores no count to trust.
    var count: Int? {
        var probe = position
        var remaining = 0
        while probe < decoder.frame.end {
            guard (try? FrameReader.readFrame(decoder.input, &probe, end: decoder.frame.end)) != nil else { return nil }
            remaining += 1
        }
        return currentIndex + remaining
    }

    private var key: BinaryCodingKey { BinaryCodingKey(intValue: currentIndex) }

    private mutating func next() throws(BinaryDecodingError) -> Frame {
        guard !isAtEnd else { throw decoder.failure(.endOfContainer, at: position, key: key) }
        let frame = try FrameReader.readFrame(decoder.input, &position, end: decoder.frame.end)
        currentIndex += 1
        return frame
    }

    private mutating func read<R>(_ parse: ([UInt8], Frame) throws(BinaryDecodingError) -> R) throws(BinaryDecodingError) -> R {
        let key = self.key
        let frame = try next()
        do {
            return try parse(decoder.input, frame)
        } catch {
            throw decoder.failure(error.kind, at: error.offset, key: key)
        }
    }

    private mutating func integer<I: FixedWidthInteger>() throws -> I {
        if I.isSigned {
            return try read { input, frame throws(BinaryDecodingError) in try ContentReader.narrow(ContentReader.signed(input, frame), frame) }
        }
        return try read { input, frame throws(BinaryDecodingError) in try ContentReader.narrow(ContentReader.unsigned(input, frame), frame) }
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { throw decoder.failure(.endOfContainer, at: position, key: key) }
        if decoder.input[position] == 0 {
            position += 1
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try read(ContentReader.bool) }
    mutating func decode(_ type: String.Type) throws -> String { try read(ContentReader.string) }
    mutating func decode(_ type: Double.Type) throws -> Double { try read(ContentReader.double) }
    mutating func decode(_ type: Float.Type) throws -> Float { try read(ContentReader.float) }
    mutating func decode(_ type: Int.Type) throws -> Int { try integer() }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { Int8(bitPattern: try read(ContentReader.byte)) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try read(ContentReader.byte) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let key = self.key
        return try decoder.decodeChild(type, try next(), key: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let key = self.key
        return try decoder.child(try next(), key: key).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let key = self.key
        return try decoder.child(try next(), key: key).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let key = self.key
        return decoder.child(try next(), key: key)
    }
}

struct BinarySingleValueDecodingContainer: SingleValueDecodingContainer {
    let decoder: BinaryValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    private func read<R>(_ parse: ([UInt8], Frame) throws(BinaryDecodingError) -> R) throws(BinaryDecodingError) -> R {
        do {
            return try parse(decoder.input, decoder.frame)
        } catch {
            throw decoder.failure(error.kind, at: error.offset)
        }
    }

    private func integer<I: FixedWidthInteger>() throws -> I {
        if I.isSigned {
            return try read { input, frame throws(BinaryDecodingError) in try ContentReader.narrow(ContentReader.signed(input, frame), frame) }
        }
        return try read { input, frame throws(BinaryDecodingError) in try ContentReader.narrow(ContentReader.unsigned(input, frame), frame) }
    }

    func decodeNil() -> Bool { decoder.frame.isNil }
    func decode(_ type: Bool.Type) throws -> Bool { try read(ContentReader.bool) }
    func decode(_ type: String.Type) throws -> String { try read(ContentReader.string) }
    func decode(_ type: Double.Type) throws -> Double { try read(ContentReader.double) }
    func decode(_ type: Float.Type) throws -> Float { try read(ContentReader.float) }
    func decode(_ type: Int.Type) throws -> Int { try integer() }
    func decode(_ type: Int8.Type) throws -> Int8 { Int8(bitPattern: try read(ContentReader.byte)) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try read(ContentReader.byte) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.decodeValue(type)
    }
}
