/// Commands are written positionally (a tag, then the fields) rather than with synthesized
/// keyed coding: they sit in every log record and Raft message, where field names would be
/// most of the bytes.
extension StoreCommand: Codable {
    private enum Tag: UInt8 {
        case put = 1, delete = 2, compareAndSet = 3, transaction = 4, exactlyOnce = 5
    }

    /// Writes a tag, then the fields in order, into an unkeyed container.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        switch self {
        case let .put(key, value):
            try container.encode(Tag.put.rawValue)
            try container.encode(key)
            try container.encode(value)
        case .delete(let key):
            try container.encode(Tag.delete.rawValue)
            try container.encode(key)
        case let .compareAndSet(key, expected, new):
            try container.encode(Tag.compareAndSet.rawValue)
            try container.encode(key)
            try container.encode(expected)
            try container.encode(new)
        case .transaction(let transaction):
            try container.encode(Tag.transaction.rawValue)
            try container.encode(transaction)
        case let .exactlyOnce(client, sequence, command):
            try container.encode(Tag.exactlyOnce.rawValue)
            try container.encode(client)
            try container.encode(sequence)
            try container.encode(command)
        }
    }

    /// Reads what ``encode(to:)`` wrote; an unknown tag or extra fields are a `DecodingError`.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let rawTag = try container.decode(UInt8.self)
        guard let tag = Tag(rawValue: rawTag) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown StoreCommand tag \(rawTag)")
        }
        switch tag {
        case .put:
            self = .put(key: try container.decode(String.self), value: try container.decode(String.self))
        case .delete:
            self = .delete(key: try container.decode(String.self))
        case .compareAndSet:
            let key = try container.decode(String.self)
            let expected = try container.decode(String?.self)
            self = .compareAndSet(key: key, expected: expected, new: try container.decode(String?.self))
        case .transaction:
            self = .transaction(try container.decode(StoreTransaction.self))
        case .exactlyOnce:
            let client = try container.decode(UInt64.self)
            let sequence = try container.decode(UInt64.self)
            self = .exactlyOnce(client: client, sequence: sequence, command: try container.decode(StoreCommand.self))
        }
        guard container.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "extra fields after StoreCommand")
        }
    }
}

extension StoreTransaction: Codable {
    /// Writes the compares, the success writes and the failure writes, in order, into an
    /// unkeyed container.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(compares)
        try container.encode(success)
        try container.encode(failure)
    }

    /// Reads what ``encode(to:)`` wrote; extra fields are a `DecodingError`.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        compares = try container.decode([StoreCompare].self)
        success = try container.decode([StoreOperation].self)
        failure = try container.decode([StoreOperation].self)
        guard container.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "extra fields after StoreTransaction")
        }
    }
}

extension StoreOperation: Codable {
    /// Writes a tag, then the fields in order, into an unkeyed container.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        switch self {
        case let .put(key, value):
            try container.encode(UInt8(1))
            try container.encode(key)
            try container.encode(value)
        case .delete(let key):
            try container.encode(UInt8(2))
            try container.encode(key)
        }
    }

    /// Reads what ``encode(to:)`` wrote; an unknown tag is a `DecodingError`.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let tag = try container.decode(UInt8.self)
        let key = try container.decode(String.self)
        switch tag {
        case 1: self = .put(key: key, value: try container.decode(String.self))
        case 2: self = .delete(key: key)
        default: throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown StoreOperation tag \(tag)")
        }
    }
}

extension StoreCompare: Codable {
    /// Writes a tag, then the fields in order, into an unkeyed container.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        switch self {
        case let .valueEquals(key, value):
            try container.encode(UInt8(1))
            try container.encode(key)
            try container.encode(value)
        case let .exists(key, exists):
            try container.encode(UInt8(2))
            try container.encode(key)
            try container.encode(exists)
        }
    }

    /// Reads what ``encode(to:)`` wrote; an unknown tag is a `DecodingError`.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let tag = try container.decode(UInt8.self)
        let key = try container.decode(String.self)
        switch tag {
        case 1: self = .valueEquals(key: key, value: try container.decode(String.self))
        case 2: self = .exists(key: key, try container.decode(Bool.self))
        default: throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown StoreCompare tag \(tag)")
        }
    }
}
