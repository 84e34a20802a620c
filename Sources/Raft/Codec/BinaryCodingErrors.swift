/// Why bytes could not be decoded by ``BinaryDecoder``.
///
/// Decoding never traps on bad input: truncated data, impossible lengths, malformed varints,
/// invalid UTF-8 and values out of range all end up here, with the byte offset where the
/// decoder noticed.
public struct BinaryDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong with the bytes.
    public enum Kind: Hashable, Sendable {
        /// The input ended inside a value.
        case truncated
        /// A varint ran past its container or exceeded 64 bits.
        case malformedVarint
        /// A length prefix points past the end of its container.
        case lengthOutOfBounds
        /// A boolean byte other than 0 or 1.
        case invalidBool
        /// A string is not valid UTF-8.
        case invalidUTF8
        /// A number does not fit the requested type, or a fixed-size value has the wrong size.
        case valueOutOfRange
        /// A keyed container has no value for this key.
        case keyNotFound(String)
        /// A value was nil where a non-optional value was requested.
        case unexpectedNil
        /// A value, or the whole input, holds bytes after its last field.
        case trailingBytes
        /// An unkeyed container was read past its last element.
        case endOfContainer
        /// The data nests containers deeper than ``BinaryDecoder/maxDepth``.
        case nestingTooDeep
        /// The decoded type rejected the data (its `init(from:)` threw).
        case invalidValue(String)
    }

    /// What was wrong.
    public var kind: Kind
    /// Byte offset in the input where the problem was found.
    public var offset: Int
    /// The coding path, dot-separated, for diagnostics.
    public var codingPath: String

    /// An error of `kind` found at byte `offset`.
    public init(kind: Kind, offset: Int, codingPath: String = "") {
        self.kind = kind
        self.offset = offset
        self.codingPath = codingPath
    }

    public var description: String {
        let path = codingPath.isEmpty ? "" : " at \(codingPath)"
        return "binary decoding failed: \(kind) at byte \(offset)\(path)"
    }
}

/// Why a value could not be encoded by ``BinaryEncoder``: the value's `encode(to:)` threw, or
/// it misused a container (two values in one single-value container).
public struct BinaryEncodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, for diagnostics.
    public var reason: String
    /// The coding path, dot-separated.
    public var codingPath: String

    /// An encoding failure with its reason.
    public init(reason: String, codingPath: String = "") {
        self.reason = reason
        self.codingPath = codingPath
    }

    public var description: String {
        "binary encoding failed: \(reason)" + (codingPath.isEmpty ? "" : " at \(codingPath)")
    }
}

extension Array where Element == any CodingKey {
    var dottedPath: String {
        map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
