import RaftCore
import ArgumentParser

/// `A..B` on the command line.
struct SeedRange: ExpressibleByArgument, CustomStringConvertible {
    var lower: UInt64
    var upper: UInt64

    init?(argument: String) {
        let parts = argument.split(separator: ".", omittingEmptySubsequences: true)
        guard parts.count == 2, argument.contains(".."), let lower = UInt64(parts[0]), let upper = UInt64(parts[1]), lower <= upper else { return nil }
        self.lower = lower
        self.upper = upper
    }

    var description: String { "\(lower)..\(upper)" }
}

/// Deliberately broken engines (`--broken-engine`, hidden): for showing that the simulator
/// catches each one.
enum BrokenEngine: String {
    case commitUnflushed = "commit-unflushed"
    case doubleVote = "double-vote"
    case truncateCommitted = "truncate-committed"
    case applyUncommitted = "apply-uncommitted"

    var testingFaults: EngineTestingFaults {
        switch self {
        case .commitUnflushed: return .commitCountsUnflushedEntries
        case .doubleVote: return .grantsTwoVotesPerTerm
        case .truncateCommitted: return .truncatesCommittedEntries
        case .applyUncommitted: return .appliesBeforeCommit
        }
    }
}
