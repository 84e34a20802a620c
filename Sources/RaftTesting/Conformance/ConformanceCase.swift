/// One check of the storage conformance suite. The raw value is the name reported on failure.
public enum ConformanceCase: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    // Log store
    /// The log store: a new store is empty.
    case emptyLogState = "log: a new store is empty"
    /// The log store: append, then read ranges inside and partly outside the log.
    case appendAndReadRanges = "log: append, then read ranges inside and partly outside the log"
    /// The log store: a saved vote reads back.
    case voteSaveAndRead = "log: a saved vote reads back"
    /// The log store: a saved commit point reads back.
    case committedSaveAndRead = "log: a saved commit point reads back"
    /// The log store: truncate after an entry, then append a different suffix.
    case truncateAfterEntry = "log: truncate after an entry, then append a different suffix"
    /// The log store: truncate after nil empties the log.
    case truncateEverything = "log: truncate after nil empties the log"
    /// The log store: purge reports the purge point and hides purged entries.
    case purgePrefix = "log: purge reports the purge point and hides purged entries"
    /// The log store: append after a purge.
    case appendAfterPurge = "log: append after a purge"
    /// The log store: purge every entry, then append.
    case purgeEverythingThenAppend = "log: purge every entry, then append"
    /// The log store: purge past the last entry (snapshot ahead of the log).
    case purgeBeyondLastEntry = "log: purge past the last entry (snapshot ahead of the log)"
    /// The log store: appends are readable at once; each flush callback runs exactly once, in append order.
    case flushCallbacksOncePerAppendInOrder = "log: appends are readable at once; each flush callback runs exactly once, in append order"
    /// The log store: reopening after a clean shutdown reads back the same state.
    case reopenAfterCleanShutdown = "log: reopening after a clean shutdown reads back the same state"
    /// The log store: reads concurrent with appends see consistent prefixes.
    case concurrentReadsSeeConsistentPrefixes = "log: reads concurrent with appends see consistent prefixes"
    // State machine
    /// The state machine: a new state machine has applied nothing.
    case pristineStateMachine = "state machine: a new state machine has applied nothing"
    /// The state machine: apply returns one response per command entry.
    case applyReturnsOneResponsePerCommand = "state machine: apply returns one response per command entry"
    /// The state machine: applied membership follows membership entries.
    case applyTracksMembership = "state machine: applied membership follows membership entries"
    /// The state machine: a built snapshot describes the applied state and becomes current.
    case buildSnapshotMatchesAppliedState = "state machine: a built snapshot describes the applied state and becomes current"
    /// The state machine: installing a snapshot replaces the state.
    case installSnapshotReplacesState = "state machine: installing a snapshot replaces the state"
    /// The state machine: apply continues after an installed snapshot.
    case applyAfterInstall = "state machine: apply continues after an installed snapshot"
    /// The state machine: reopening keeps the last snapshot.
    case reopenStateMachine = "state machine: reopening keeps the last snapshot"

    public var description: String { rawValue }

    var isLogStoreCase: Bool { rawValue.hasPrefix("log:") }
}
