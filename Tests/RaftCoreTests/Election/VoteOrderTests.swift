import Testing
@testable import RaftCore

@Suite("Vote order")
struct VoteOrderTests {
    @Test func higherTermWinsInBothModes() {
        for mode in [LeaderIDMode.advanced, .standard] {
            #expect(Vote(term: 3, votedFor: 1).isAtLeast(Vote(term: 2, votedFor: 5, committed: true), mode: mode))
            #expect(!Vote(term: 2, votedFor: 5, committed: true).isAtLeast(Vote(term: 3, votedFor: 1), mode: mode))
        }
    }

    @Test func standardModeAllowsOneVotePerTerm() {
        #expect(!Vote(term: 3, votedFor: 2).isAtLeast(Vote(term: 3, votedFor: 1), mode: .standard))
        #expect(!Vote(term: 3, votedFor: 1).isAtLeast(Vote(term: 3, votedFor: 2), mode: .standard))
        #expect(Vote(term: 3, votedFor: 1).isAtLeast(Vote(term: 3, votedFor: 1), mode: .standard))
    }

    /// A node that voted for a losing candidate still follows the term's elected leader.
    @Test func standardModeLetsTheElectedLeaderOfATermOverrideAnotherCandidacy() {
        let elected = Vote(term: 3, votedFor: 1, committed: true)
        let votedForOther = Vote(term: 3, votedFor: 2)
        #expect(elected.isAtLeast(votedForOther, mode: .standard))
        #expect(!votedForOther.isAtLeast(elected, mode: .standard))
    }

    @Test func advancedModeOrdersLeadersOfOneTermByNodeID() {
        #expect(Vote(term: 3, votedFor: 2).isAtLeast(Vote(term: 3, votedFor: 1), mode: .advanced))
        #expect(!Vote(term: 3, votedFor: 1).isAtLeast(Vote(term: 3, votedFor: 2), mode: .advanced))
    }

    @Test func committedVoteIsAboveTheSameCandidacy() {
        let candidate = Vote(term: 4, votedFor: 2)
        let leader = Vote(term: 4, votedFor: 2, committed: true)
        #expect(leader.isAtLeast(candidate, mode: .standard))
        #expect(!candidate.isAtLeast(leader, mode: .standard))
    }

    @Test func noVoteInATermIsBelowAnyVoteOfThatTerm() {
        let none = Vote(term: 4, votedFor: nil)
        #expect(Vote(term: 4, votedFor: 9).isAtLeast(none, mode: .standard))
        #expect(!none.isAtLeast(Vote(term: 4, votedFor: 9), mode: .advanced))
    }

    /// Field lesson 3: "at least as up to date" compares (last term, last index) lexicographically.
    @Test func logRecencyComparesLastTermBeforeIndex() {
        #expect(lid(3, 1, 2) > lid(2, 1, 100))
        #expect(lid(3, 1, 5) > lid(3, 1, 4))
        #expect(logIDLess(nil, lid(1, 1, 1)))
    }
}
