import Raft
import RaftCore

/// A type configuration with plain string commands and responses.
enum StringTypes: RaftTypeConfig {
    typealias Command = String
    typealias Response = String
    typealias NodeAddress = String
}

/// A seeded generator so failures replay: the engine's own SplitMix64.
typealias SeededGenerator = SplitMix64

func encoded<T: Encodable>(_ value: T) throws -> [UInt8] {
    try BinaryEncoder().encode(value)
}

func roundTrip<T: Codable>(_ value: T) throws -> T {
    try BinaryDecoder().decode(T.self, from: try encoded(value))
}
