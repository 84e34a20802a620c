import Raft
import RaftCore

/// A violated expectation; ends the case that threw it.
struct ConformanceViolation: Error, CustomStringConvertible {
    var description: String
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) throws(ConformanceViolation) {
    if !condition { throw ConformanceViolation(description: message()) }
}

func checkEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws(ConformanceViolation) {
    if actual != expected {
        throw ConformanceViolation(description: "\(what): expected \(expected), got \(actual)")
    }
}

/// Entries compared by id and by their deterministic encoding, since commands need not be
/// `Equatable`.
func checkEntries<Types: RaftTypeConfig>(_ actual: [Entry<Types>], _ expected: [Entry<Types>], _ what: String) throws(ConformanceViolation) {
    let actualIDs = actual.map(\.logID)
    let expectedIDs = expected.map(\.logID)
    guard actualIDs == expectedIDs else {
        throw ConformanceViolation(description: "\(what): expected entries \(describe(expectedIDs)), got \(describe(actualIDs))")
    }
    for (got, want) in zip(actual, expected) where payloadBytes(got) != payloadBytes(want) {
        throw ConformanceViolation(description: "\(what): entry \(want.logID) has a different payload than was appended")
    }
}

func payloadBytes<Types: RaftTypeConfig>(_ entry: Entry<Types>) -> [UInt8]? {
    try? BinaryEncoder().encode(entry.payload)
}

/// "1-1-3...1-1-9" instead of seven ids.
func describe(_ ids: [LogID]) -> String {
    guard let first = ids.first, let last = ids.last else { return "[]" }
    return ids.count == 1 ? "[\(first)]" : "[\(first)...\(last)] (\(ids.count))"
}
