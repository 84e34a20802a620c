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
/// catches each one (see `EngineTestingFaults` for what each breaks).
enum BrokenEngine: String, CaseIterable {
    case commitUnflushed = "commit-unflushed"
    case doubleVote = "double-vote"
    case truncateCommitted = "truncate-committed"
    case applyUncommitted = "apply-uncommitted"
    case commitEarlierLeader = "commit-earlier-leader"
    case readWithoutQuorum = "read-without-quorum"
    case leaseFromSends = "lease-from-sends"
    case leaseFromAckArrival = "lease-from-ack-arrival"
    case followerAcceptsLowerVote = "follower-accepts-lower-vote"
    case preVoteSavesTerm = "pre-vote-saves-term"
    case learnerCampaignsAsVoter = "learner-campaigns-as-voter"
    /// Traps (a failed precondition) in the seeds where a node is asked for a second vote in
    /// one term: shows that a trapping seed is named and the batch goes on.
    case trapOnSecondVote = "trap-on-second-vote"

    var testingFaults: EngineTestingFaults {
        switch self {
        case .commitUnflushed: return .commitCountsUnflushedEntries
        case .doubleVote: return .grantsTwoVotesPerTerm
        case .truncateCommitted: return .truncatesCommittedEntries
        case .applyUncommitted: return .appliesBeforeCommit
        case .commitEarlierLeader: return .commitsEarlierLeadersEntries
        case .readWithoutQuorum: return .readIndexSkipsQuorumRound
        case .leaseFromSends: return .leaseRenewedBySends
        case .leaseFromAckArrival: return .leaseFromAckArrival
        case .followerAcceptsLowerVote: return .followerAcceptsLowerVote
        case .preVoteSavesTerm: return .preVoteSavesTerm
        case .learnerCampaignsAsVoter: return .learnerCampaignsAsVoter
        case .trapOnSecondVote: return .trapsOnSecondVoteInATerm
        }
    }
}
