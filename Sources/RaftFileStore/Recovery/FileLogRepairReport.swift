import RaftCore

/// How ``FileLogStore/repair(directory:options:)`` runs.
public struct FileLogRepairOptions: Hashable, Sendable, Codable {
    /// Only inspect and report what a repair would do; change nothing on disk.
    public var dryRun: Bool

    /// Options for a real repair, or (with `dryRun`) an inspection.
    @inlinable public init(dryRun: Bool = false) {
        self.dryRun = dryRun
    }
}

/// What ``FileLogStore/repair(directory:options:)`` found, kept, moved aside and lost.
///
/// When ``requiresStorageLost`` is true the node **must** be started with
/// `RaftNode.start(..., storageLost: true)`: it lost state it had acknowledged to its peers
/// (entries that may have counted toward a commit, or the vote it cast), so it must not vote or
/// campaign until it has been repaired from its peers and an operator calls `resumeVoting()`.
public struct FileLogRepairReport: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The log directory.
    public var directory: String
    /// What failed verification, one line each (file, offset, reason). Empty when the log and
    /// the vote file verify.
    public var findings: [String] = []
    /// The folder inside ``directory`` that received the damaged files, named
    /// `damaged-<UTC timestamp>`; nil when no file had to move. It also holds
    /// `repair-report.txt`, this report in words.
    public var damagedFolder: String?
    /// Files (names relative to ``directory``) moved into ``damagedFolder``; nothing is deleted.
    public var movedFiles: [String] = []
    /// Segment files written anew with the verified prefix of their records (each original is
    /// among ``movedFiles``).
    public var rewrittenFiles: [String] = []
    /// The last log id of the kept, verified log: its last entry, or its purge point when it
    /// keeps no entry; nil for an empty log.
    public var lastGoodLogID: LogID?
    /// The first index whose acknowledged entry may be lost: one past ``lastGoodLogID``, or
    /// lower when a readable truncation in the discarded data shows that later entries replaced
    /// part of the kept log. Nil when no log data was discarded.
    public var firstLostIndex: LogIndex?
    /// The newest log id that still-readable records of the discarded data name: the lost log
    /// reached at least this far. Nil when nothing readable was discarded.
    public var discardedLastLogID: LogID?
    /// The purge point of the kept log.
    public var purged: LogID?
    /// The commit point of the kept log.
    public var committed: LogID?
    /// Log records after the cut were discarded, so a newer commit point among them is lost
    /// (the node learns it again from the leader).
    public var commitPointLost = false
    /// The vote the store holds after the repair (nil: none).
    public var vote: Vote?
    /// The vote is lost: the vote file was unreadable or failed verification (it was moved
    /// aside), or it is missing or older than a term the log holds.
    public var voteLost = false
    /// Nothing was changed: the report says what a repair would do.
    public var isDryRun = false
    /// This run completed a repair that an earlier run planned but did not finish; the report
    /// is the one that run made.
    public var resumedInterruptedRepair = false
    /// `damaged-*` folders already in ``directory`` before this run (earlier repairs).
    public var earlierRepairs: [String] = []

    /// An empty report about `directory`.
    @inlinable public init(directory: String) {
        self.directory = directory
    }

    /// True whenever an acknowledged entry or the vote may have been lost. The node must then
    /// be started with `storageLost: true`.
    @inlinable public var requiresStorageLost: Bool { firstLostIndex != nil || voteLost }

    /// Whether the repair had to change nothing (or, in a dry run, would change nothing).
    @inlinable public var isNoOp: Bool { movedFiles.isEmpty && rewrittenFiles.isEmpty }

    /// The report in words, ending with the required action when state was lost.
    @inlinable public var description: String {
        var lines: [String] = []
        lines.append("repair of \(directory)" + (isDryRun ? " (dry run: nothing changed)" : "")
                     + (resumedInterruptedRepair ? " (completed an interrupted repair)" : ""))
        if findings.isEmpty && !voteLost { lines.append("  nothing is damaged") }
        for finding in findings { lines.append("  damaged: \(finding)") }
        lines.append("  kept log: last \(describe(lastGoodLogID)), purged \(describe(purged)), committed \(describe(committed))")
        if let firstLostIndex {
            lines.append("  LOST: entries from index \(firstLostIndex) on"
                         + (discardedLastLogID.map { " (the discarded data reached at least \($0))" } ?? ""))
        }
        if commitPointLost { lines.append("  LOST: any commit point recorded after the cut") }
        if voteLost { lines.append("  LOST: the vote (now \(vote.map(\.description) ?? "none"))") }
        if let damagedFolder {
            lines.append("  moved to \(damagedFolder): \(movedFiles.joined(separator: ", "))")
        }
        if !rewrittenFiles.isEmpty { lines.append("  rewritten with the verified prefix: \(rewrittenFiles.joined(separator: ", "))") }
        if !earlierRepairs.isEmpty { lines.append("  earlier repairs: \(earlierRepairs.joined(separator: ", "))") }
        if requiresStorageLost {
            lines.append("  ACTION REQUIRED: this node lost acknowledged state. Start it with RaftNode.start(..., storageLost: true);")
            lines.append("  it replicates from the leader but never votes or campaigns until resumeVoting() is called,")
            lines.append("  which must wait until it has caught up with the leader's commit index (see README, Disaster recovery).")
        }
        return lines.joined(separator: "\n")
    }

    @inlinable func describe(_ logID: LogID?) -> String { logID.map(\.description) ?? "none" }
}
