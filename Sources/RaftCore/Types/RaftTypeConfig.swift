/// The application's choice of types: what a client writes, what the state machine answers,
/// and how a node is addressed.
///
/// ```swift
/// enum KVTypes: RaftTypeConfig {
///     typealias Command = KVCommand
///     typealias Response = KVResponse
///     typealias NodeAddress = String
/// }
/// ```
public protocol RaftTypeConfig: Sendable {
    /// A client command, stored opaquely in the log and handed to the state machine.
    associatedtype Command: Codable & Sendable
    /// What the state machine returns for one applied command.
    associatedtype Response: Sendable
    /// How to reach a node (host and port, a URL...). Replicated inside membership entries.
    associatedtype NodeAddress: Codable & Hashable & Sendable

    /// An estimate of `command`'s encoded size in bytes, used for flow control (bytes in
    /// flight, message and batch limits). It should be cheap; it is called once per entry.
    static func byteCount(of command: Command) -> Int
}

extension RaftTypeConfig {
    /// By default a command counts as its in-memory size; override for variable-sized payloads.
    @inlinable public static func byteCount(of command: Command) -> Int {
        MemoryLayout<Command>.size
    }
}

extension RaftTypeConfig where Command == [UInt8] {
    /// A byte-array command counts its length.
    @inlinable public static func byteCount(of command: Command) -> Int { command.count }
}

extension RaftTypeConfig where Command == String {
    /// A string command counts its UTF-8 length.
    @inlinable public static func byteCount(of command: Command) -> Int { command.utf8.count }
}
