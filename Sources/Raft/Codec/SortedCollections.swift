/// Unordered collections that the encoder writes in sorted order, so equal values produce
/// equal bytes in every process (Swift seeds its hash order per process).
///
/// The layouts match what the standard library's `Set` and `Dictionary` decoders expect, so
/// decoding needs no special case.
protocol BinarySortedEncodable {
    func encodeSorted(to encoder: BinaryValueEncoder) throws
}

extension Set: BinarySortedEncodable where Element: Comparable & Encodable {
    func encodeSorted(to encoder: BinaryValueEncoder) throws {
        var container = encoder.unkeyedContainer()
        for element in sorted() {
            try container.encode(element)
        }
    }
}

extension Dictionary: BinarySortedEncodable where Key: Comparable & Encodable, Value: Encodable {
    func encodeSorted(to encoder: BinaryValueEncoder) throws {
        let sortedKeys = keys.sorted()
        // The same choice of layout as the standard library's Dictionary.encode(to:).
        if Key.self == String.self || Key.self == Int.self || Key.self is any CodingKeyRepresentable.Type {
            var container = encoder.container(keyedBy: BinaryCodingKey.self)
            for key in sortedKeys {
                try container.encode(self[key]!, forKey: Self.codingKey(for: key))
            }
        } else {
            var container = encoder.unkeyedContainer()
            for key in sortedKeys {
                try container.encode(key)
                try container.encode(self[key]!)
            }
        }
    }

    private static func codingKey(for key: Key) -> BinaryCodingKey {
        if let string = key as? String { return BinaryCodingKey(stringValue: string) }
        if let int = key as? Int { return BinaryCodingKey(intValue: int) }
        let representable = (key as! any CodingKeyRepresentable).codingKey
        if let int = representable.intValue { return BinaryCodingKey(intValue: int) }
        return BinaryCodingKey(stringValue: representable.stringValue)
    }
}
