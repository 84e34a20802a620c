/// Deliberate protocol bugs that a test can switch on to prove the simulator catches them.
///
/// **Test-only.** Each option breaks Raft safety on purpose, at exactly one decision point of
/// the engine, so that a checker that never fires can be told apart from an engine that never
/// errs ("the judge is judged"). Production code never sets any: the default is empty and the
/// property is `package`, outside the public API.
@usableFromInline package struct EngineTestingFaults: OptionSet, Hashable, Sendable {
    @usableFromInline package let rawValue: UInt16

    @inlinable package init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The leader counts its own entries toward commit before they are durable on its disk.
    @usableFromInline package static let commitCountsUnflushedEntries = EngineTestingFaults(rawValue: 1 << 0)
    /// A node grants a second vote in a term it already voted in (matters in standard mode).
    @usableFromInline package static let grantsTwoVotesPerTerm = EngineTestingFaults(rawValue: 1 << 1)
    /// A follower deletes everything after the last entry of each append it accepts, even
    /// entries that are committed (the "truncate after prevLogID" bug of field lesson 5).
    @usableFromInline package static let truncatesCommittedEntries = EngineTestingFaults(rawValue: 1 << 2)
    /// Entries are handed to the state machine once durable locally, before they commit.
    @usableFromInline package static let appliesBeforeCommit = EngineTestingFaults(rawValue: 1 << 3)
    /// The leader commits the highest index a quorum holds even when an earlier leader wrote
    /// the entry there (counting replicas of an old term: Raft's Figure 8).
    @usableFromInline package static let commitsEarlierLeadersEntries = EngineTestingFaults(rawValue: 1 << 4)
    /// A read-index read is answered at once, without a quorum confirming the leadership.
    @usableFromInline package static let readIndexSkipsQuorumRound = EngineTestingFaults(rawValue: 1 << 5)
    /// The lease counts from the last request sent to each peer, acknowledged or not.
    @usableFromInline package static let leaseRenewedBySends = EngineTestingFaults(rawValue: 1 << 6)
    /// An acknowledgement is dated when it arrives, not when the request it answers was sent
    /// (the lease, and check-quorum, then start after the follower's promise did).
    @usableFromInline package static let leaseFromAckArrival = EngineTestingFaults(rawValue: 1 << 7)
    /// A follower acts on an append or snapshot whose vote is lower than its own, keeping its
    /// own vote.
    @usableFromInline package static let followerAcceptsLowerVote = EngineTestingFaults(rawValue: 1 << 8)
    /// A node answering a pre-vote adopts the pre-candidate's greater term, as for a real vote.
    @usableFromInline package static let preVoteSavesTerm = EngineTestingFaults(rawValue: 1 << 9)
    /// A node grants a second vote in a term it already voted in, but the vote-order
    /// precondition stays on: the node traps. It stands for any seed that trips a precondition
    /// (`raft-sim` must name the seed and go on with the batch).
    @usableFromInline package static let trapsOnSecondVoteInATerm = EngineTestingFaults(rawValue: 1 << 10)
    /// Every learner campaigns on its election timer, and counts its own vote as if it were
    /// the vote of a voter that did not grant (the safe rule lets a learner campaign only when
    /// a candidate needs its newer log, and counts only voters' grants).
    @usableFromInline package static let learnerCampaignsAsVoter = EngineTestingFaults(rawValue: 1 << 11)
}
