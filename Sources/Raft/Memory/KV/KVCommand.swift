import RaftCore

/// A command of the example replicated key-value store.
public enum KVCommand: Hashable, Sendable {
    /// Sets `key` to `value`.
    case put(key: String, value: String)
    /// Removes `key`.
    case delete(key: String)
    /// Sets `key` to `new` (nil removes it) only if its current value is `expected` (nil: absent).
    case compareAndSet(key: String, expected: String?, new: String?)
    /// Reads `key` through the log: a linearizable read that costs a log entry, useful to
    /// tests and checkers that want reads ordered with writes without a read-index round trip.
    case get(key: String)
    /// `command` as request `sequence` of `client`: applied at most once however often it is
    /// retried (see ``ClientSessions``); a retry is answered with the first response.
    indirect case exactlyOnce(client: UInt64, sequence: UInt64, command: KVCommand)

    /// The key this command touches.
    public var key: String {
        switch self {
        case .put(let key, _), .delete(let key), .compareAndSet(let key, _, _), .get(let key): return key
        case .exactlyOnce(_, _, let command): return command.key
        }
    }
}

/// The state machine's answer to one ``KVCommand``.
public enum KVResponse: Hashable, Sendable, Codable {
    /// A `put` or `delete` applied; `previous` is the value it replaced.
    case written(previous: String?)
    /// A `get`: the value at the time it applied.
    case value(String?)
    /// A `compareAndSet`: whether it swapped, and the key's value afterwards.
    case compareAndSet(succeeded: Bool, current: String?)
    /// An `exactlyOnce` request older than what the store remembers of its client: it was not
    /// applied now, and whether it was applied before is unknown.
    case requestExpired
}

/// The type configuration of the example key-value store.
public enum KVTypes: RaftTypeConfig {
    public typealias Command = KVCommand
    public typealias Response = KVResponse
    public typealias NodeAddress = String

    /// The key and value bytes: what a command costs in flow control.
    public static func byteCount(of command: KVCommand) -> Int {
        switch command {
        case let .put(key, value): return key.utf8.count + value.utf8.count
        case .delete(let key), .get(let key): return key.utf8.count
        case let .compareAndSet(key, expected, new):
            return key.utf8.count + (expected?.utf8.count ?? 0) + (new?.utf8.count ?? 0)
        case .exactlyOnce(_, _, let command): return 16 + byteCount(of: command)
        }
    }
}

/// Written positionally (a tag, then the fields) rather than with synthesized keyed coding:
/// commands sit in every log record and network message, so field names would be most of the
/// bytes.
extension KVCommand: Codable {
    private enum Tag: UInt8 {
        case put = 1, delete = 2, compareAndSet = 3, get = 4, exactlyOnce = 5
    }

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
        case .get(let key):
            try container.encode(Tag.get.rawValue)
            try container.encode(key)
        case let .exactlyOnce(client, sequence, command):
            try container.encode(Tag.exactlyOnce.rawValue)
            try container.encode(client)
            try container.encode(sequence)
            try container.encode(command)
        }
    }

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let rawTag = try container.decode(UInt8.self)
        guard let tag = Tag(rawValue: rawTag) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown KVCommand tag \(rawTag)")
        }
        if tag == .exactlyOnce {
            let client = try container.decode(UInt64.self)
            let sequence = try container.decode(UInt64.self)
            self = .exactlyOnce(client: client, sequence: sequence, command: try container.decode(KVCommand.self))
            guard container.isAtEnd else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "extra fields after KVCommand")
            }
            return
        }
        let key = try container.decode(String.self)
        switch tag {
        case .put:
            self = .put(key: key, value: try container.decode(String.self))
        case .delete:
            self = .delete(key: key)
        case .compareAndSet:
            let expected = try container.decode(String?.self)
            let new = try container.decode(String?.self)
            self = .compareAndSet(key: key, expected: expected, new: new)
        case .get:
            self = .get(key: key)
        case .exactlyOnce:
            preconditionFailure("decoded above")
        }
        guard container.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "extra fields after KVCommand")
        }
    }
}
