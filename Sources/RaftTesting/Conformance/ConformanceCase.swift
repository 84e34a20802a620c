/// One check of the storage conformance suite. The raw value is the name reported on failure.
public enum ConformanceCase: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    // Log store
    case emptyLogState = "log: a new store is empty"
    case appendAndReadRanges = "log: append, then read ranges inside and partly outside the log"
    case voteSaveAndRead = "log: a saved vote reads back"
    case committedSaveAndRead = "log: a saved commit point reads back"
    case truncateAfterEntry = "log: truncate after an entry, then append a different suffix"
    case truncateEverything = "log: truncate after nil empties the log"
    case purgePrefix = "log: purge reports the purge point and hides purged entries"
    case appendAfterPurge = "log: append after a purge"
    case purgeEverythingThenAppend = "log: purge every entry, then append"
    case purgeBeyondLastEntry = "log: purge past the last entry (snapshot ahead of the log)"
    case flushCallbacksOncePerAppendInOrder = "log: appends are readable at once; each flush callback runs exactly once, in append order"
    case reopenAfterCleanShutdown = "log: reopening after a clean shutdown reads back the same state"
    case concurrentReadsSeeConsistentPrefixes = "log: reads concurrent with appends see consistent prefixes"
    // State machine
    case pristineStateMachine = "state machine: a new state machine has applied nothing"
    case applyReturnsOneResponsePerCommand = "state machine: apply returns one response per command entry"
    case applyTracksMembership = "state machine: applied membership follows membership entries"
    case buildSnapshotMatchesAppliedState = "state machine: a built snapshot describes the applied state and becomes current"
    case installSnapshotReplacesState = "state machine: installing a snapshot replaces the state"
    case applyAfterInstall = "state machine: apply continues after an installed snapshot"
    case reopenStateMachine = "state machine: reopening keeps the last snapshot"

    public var description: String { rawValue }

    var isLogStoreCase: Bool { rawValue.hasPrefix("log:") }
}
