import RaftCore

/// What a simulated client asks the replicated key-value store to do.
enum SimKVAction: Hashable, Sendable, Codable {
    /// Sets the key.
    case put(key: Int, value: Int)
    /// Sets `new` if the key currently holds `expected` (`nil`: absent).
    case compareAndSet(key: Int, expected: Int?, new: Int)
}

/// One command in the log: an action tagged with the operation that issued it, so a trace
/// can name the operation behind every entry.
struct SimKVCommand: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The client operation (its index in the run's history).
    var operation: UInt64
    var action: SimKVAction

    /// A command for `action`, issued by history operation `operation`.
    init(operation: UInt64, action: SimKVAction) {
        self.operation = operation
        self.action = action
    }

    var description: String {
        switch action {
        case let .put(key, value): return "op\(operation):put(k\(key)=\(value))"
        case let .compareAndSet(key, expected, new): return "op\(operation):cas(k\(key),\(expected.map(String.init) ?? "nil")->\(new))"
        }
    }
}

/// What the state machine answers for one applied command.
enum SimKVResult: Hashable, Sendable {
    /// A put took effect.
    case written
    /// Whether a compare-and-set found the expected value and wrote.
    case compareAndSet(succeeded: Bool)
}

/// The type configuration of the simulated cluster.
enum SimTypes: RaftTypeConfig {
    typealias Command = SimKVCommand
    typealias Response = SimKVResult
    typealias NodeAddress = String

    /// A fixed estimate: the simulation has no real encoding.
    static func byteCount(of command: SimKVCommand) -> Int { 24 }
}

typealias SimEntry = Entry<SimTypes>
typealias SimEngine = RaftEngine<SimTypes>
typealias SimMembership = Membership<SimTypes>

extension Entry where T == SimTypes {
    /// A description of the payload precise enough that two different payloads never share
    /// one (checksums and the log-matching registry hash it).
    var canonicalPayload: String {
        switch payload {
        case .blank: return "blank"
        case .command(let command): return command.description
        case .membership(let membership): return "membership \(membership.canonicalDescription)"
        }
    }
}

extension Membership where T == SimTypes {
    /// Voter sets, learners and addresses in id order (sets and dictionaries iterate in a
    /// per-process order, which must never leak into a trace).
    var canonicalDescription: String {
        let addressList = addresses.keys.sorted().map { "\($0)@\(addresses[$0]!)" }.joined(separator: ",")
        return "\(config) [\(addressList)]"
    }
}

/// 64-bit FNV-1a of a string: entry checksums and payload fingerprints.
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash
}

func describe(_ id: LogID?) -> String { id.map(\.description) ?? "-" }

/// Whether `lhs` comes before `rhs`, an empty log (nil) being first.
func logIDBefore(_ lhs: LogID?, _ rhs: LogID?) -> Bool {
    switch (lhs, rhs) {
    case (_, nil): return false
    case (nil, _?): return true
    case let (l?, r?): return l < r
    }
}
