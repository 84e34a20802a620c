/// Deliberate protocol bugs that a test can switch on to prove the simulator catches them.
///
/// **Test-only.** Each option breaks Raft safety on purpose, at exactly one decision point of
/// the engine, so that a checker that never fires can be told apart from an engine that never
/// errs ("the judge is judged"). Production code never sets any: the default is empty and the
/// property is `package`, outside the public API.
@usableFromInline package struct EngineTestingFaults: OptionSet, Hashable, Sendable {
    @usableFromInline package let rawValue: UInt8

    @inlinable package init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The leader counts its own entries toward commit before they are durable on its disk.
    @usableFromInline package static let commitCountsUnflushedEntries = EngineTestingFaults(rawValue: 1 << 0)
    /// A node grants a second vote in a term it already voted in (matters in standard mode).
    @usableFromInline package static let grantsTwoVotesPerTerm = EngineTestingFaults(rawValue: 1 << 1)
    /// A follower deletes everything after the last entry of each append it accepts, even
    /// entries that are committed (the "truncate after prevLogID" bug of field lesson 5).
    @usableFromInline package static let truncatesCommittedEntries = EngineTestingFaults(rawValue: 1 << 2)
    /// Entries are handed to the state machine once durable locally, before they commit.
    @usableFromInline package static let appliesBeforeCommit = EngineTestingFaults(rawValue: 1 << 3)
}
