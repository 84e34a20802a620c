/// A value in a Jepsen history line: the subset of EDN that operation logs use.
public enum JepsenValue: Hashable, Sendable {
    /// `nil`.
    case none
    /// An integer, such as `3` or `-1`.
    case integer(Int)
    /// A double-quoted string, unescaped.
    case string(String)
    /// A keyword such as `:timed-out`, without its colon.
    case keyword(String)
    /// A vector such as `[3 0]`.
    case vector([JepsenValue])
}

extension JepsenValue: CustomStringConvertible {
    /// The value written back in EDN.
    public var description: String {
        switch self {
        case .none: return "nil"
        case .integer(let value): return String(value)
        case .string(let value): return "\"\(value)\""
        case .keyword(let name): return ":\(name)"
        case .vector(let elements): return "[\(elements.map(\.description).joined(separator: " "))]"
        }
    }
}

/// Reads EDN values and maps from one line of text.
struct EDNReader {
    private let bytes: [UInt8]
    private(set) var position = 0

    init(_ text: Substring) {
        bytes = Array(text.utf8)
    }

    var atEnd: Bool {
        position >= bytes.count
    }

    mutating func skipSpace() {
        // Commas are whitespace in EDN.
        while position < bytes.count, [0x20, 0x09, 0x2C, 0x0D].contains(bytes[position]) { position += 1 }
    }

    /// Reads `{:key value, ...}`; keys must be keywords.
    mutating func readMap() throws(JepsenReadError) -> [String: JepsenValue] {
        skipSpace()
        try expect(UInt8(ascii: "{"))
        var map: [String: JepsenValue] = [:]
        while true {
            skipSpace()
            if peek() == UInt8(ascii: "}") {
                position += 1
                return map
            }
            guard case .keyword(let key) = try readValue() else { throw JepsenReadError("map keys must be keywords") }
            skipSpace()
            map[key] = try readValue()
        }
    }

    mutating func readValue() throws(JepsenReadError) -> JepsenValue {
        skipSpace()
        guard let first = peek() else { throw JepsenReadError("a value is missing") }
        switch first {
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: ":"):
            position += 1
            let name = readToken()
            guard !name.isEmpty else { throw JepsenReadError("an empty keyword") }
            return .keyword(name)
        case UInt8(ascii: "["):
            position += 1
            var elements: [JepsenValue] = []
            while true {
                skipSpace()
                if peek() == UInt8(ascii: "]") {
                    position += 1
                    return .vector(elements)
                }
                elements.append(try readValue())
            }
        default:
            let token = readToken()
            if token == "nil" { return .none }
            guard let value = Int(token) else { throw JepsenReadError("cannot read the value '\(token)'") }
            return .integer(value)
        }
    }

    private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func expect(_ byte: UInt8) throws(JepsenReadError) {
        guard peek() == byte else { throw JepsenReadError("expected '\(Character(Unicode.Scalar(byte)))'") }
        position += 1
    }

    /// Characters up to whitespace or a delimiter.
    private mutating func readToken() -> String {
        let start = position
        while let byte = peek(), ![0x20, 0x09, 0x2C, 0x0D, 0x5B, 0x5D, 0x7B, 0x7D, 0x22].contains(byte) { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func readString() throws(JepsenReadError) -> String {
        position += 1
        var result: [UInt8] = []
        while let byte = peek() {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: result, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = peek() else { throw JepsenReadError("a string ends in an escape") }
                position += 1
                switch escaped {
                case UInt8(ascii: "n"): result.append(0x0A)
                case UInt8(ascii: "t"): result.append(0x09)
                default: result.append(escaped)
                }
            default:
                result.append(byte)
            }
        }
        throw JepsenReadError("a string is not closed")
    }
}

/// Why one line could not be read; ``JepsenHistoryError`` adds where.
struct JepsenReadError: Error {
    var reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}
