import RaftCore

/// A failure of the log store or the state machine. Fatal for the node: it stops, and the
/// error is reported in metrics and to every pending call.
public struct StorageError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// What was being accessed.
    public enum Subject: Hashable, Sendable, Codable, CustomStringConvertible {
        /// The saved vote.
        case vote
        /// The saved commit point.
        case committed
        /// The log's purge point and last entry.
        case logState
        /// One entry; nil when the id is unknown.
        case logEntry(LogID?)
        /// A range of log indexes.
        case logRange(Range<LogIndex>)
        /// The state machine as a whole.
        case stateMachine
        /// Applying the entry with this id.
        case apply(LogID)
        /// A snapshot, by id when known.
        case snapshot(id: String?)
        /// A file of a file-backed store, with the byte offset when it is known.
        case file(path: String, offset: Int64?)

        @inlinable public var description: String {
            switch self {
            case .vote: return "vote"
            case .committed: return "committed"
            case .logState: return "log state"
            case .logEntry(let id): return "log entry \(id.map(\.description) ?? "?")"
            case .logRange(let range): return "log range \(range.lowerBound)..<\(range.upperBound)"
            case .stateMachine: return "state machine"
            case .apply(let id): return "apply of \(id)"
            case .snapshot(let id): return "snapshot \(id ?? "?")"
            case let .file(path, offset): return "file \(path)" + (offset.map { " at offset \($0)" } ?? "")
            }
        }
    }

    /// What was being done.
    public enum Verb: String, Hashable, Sendable, Codable {
        /// Reading.
        case read
        /// Writing.
        case write
        /// Deleting (truncating, purging, removing a file).
        case delete
        /// Making writes durable (fsync).
        case sync
        /// Opening or creating.
        case open
    }

    /// What was being accessed.
    public var subject: Subject
    /// What was being done.
    public var verb: Verb
    /// Human-readable detail (an errno string, "checksum mismatch", ...).
    public var reason: String
    /// True when stored data failed verification (checksum, impossible contents), as opposed to
    /// an I/O error; such a node must not vote as if it still had the data.
    public var isCorruption: Bool
    /// Set when a defensive check caught the store breaking its contract.
    public var violation: DefensiveViolation?

    /// An error: what failed, doing what, why, whether it is corruption of stored data, and the
    /// contract violation when a defensive check found it.
    @inlinable public init(subject: Subject, verb: Verb, reason: String, isCorruption: Bool = false, violation: DefensiveViolation? = nil) {
        self.subject = subject
        self.verb = verb
        self.reason = reason
        self.isCorruption = isCorruption
        self.violation = violation
    }

    @inlinable public var description: String {
        "storage error: \(verb.rawValue) \(subject): \(reason)\(isCorruption ? " (corruption)" : "")"
    }
}

/// A broken storage contract, caught by the defensive-check wrappers (`DefensiveLogStorage`,
/// `DefensiveStateMachine`).
public indirect enum DefensiveViolation: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A saved vote is lower than one saved before.
    case voteWentBackwards(from: Vote, to: Vote)
    /// A saved commit point is lower than one saved before.
    case committedWentBackwards(from: LogID?, to: LogID?)
    /// An append does not start right after the last entry.
    case appendNotContiguous(expectedIndex: LogIndex, got: LogIndex)
    /// An append's entries belong to an older leader than the last entry's.
    case appendLeaderWentBackwards(last: LogID?, first: LogID)
    /// An append with no entries.
    case emptyAppend
    /// A truncation point outside the log (below the purge point or past the last entry).
    case truncateOutsideLog(after: LogID?, purged: LogID?, last: LogID?)
    /// A purge below the current purge point.
    case purgeBackwards(purged: LogID?, requested: LogID)
    /// A purge past what the state machine has applied.
    case purgeBeyondApplied(applied: LogID?, requested: LogID)
    /// A read returned an entry outside the requested range.
    case readOutsideRequest(requested: Range<LogIndex>, got: LogIndex)
    /// A read skipped an index inside the log.
    case readHasGap(requested: Range<LogIndex>, missing: LogIndex)
    /// An append's flush callback was called more than once.
    case flushReportedTwice
    /// The store's reported log state differs from what its writes imply.
    case logStateMismatch(expected: LogState, reported: LogState)
    /// An entry was applied again.
    case reapply(lastApplied: LogID?, got: LogID)
    /// An entry was skipped: apply did not continue right after the last applied one.
    case applyGap(lastApplied: LogID?, got: LogID)
    /// Apply returned a different number of responses than it was given commands.
    case responseCountMismatch(commands: Int, responses: Int)
    /// The state machine's applied state differs from what it applied.
    case appliedStateMismatch(expected: LogID?, reported: LogID?)
    /// A snapshot was built for an older entry than the state machine had applied.
    case snapshotWentBackwards(applied: LogID?, snapshot: LogID?)

    @inlinable public var description: String {
        switch self {
        case let .voteWentBackwards(from, to): return "vote went backwards from \(from) to \(to)"
        case let .committedWentBackwards(from, to): return "committed went backwards from \(from.map(\.description) ?? "-") to \(to.map(\.description) ?? "-")"
        case let .appendNotContiguous(expected, got): return "append expected index \(expected), got \(got)"
        case let .appendLeaderWentBackwards(last, first): return "append of \(first) after \(last.map(\.description) ?? "-") goes back to an older leader"
        case .emptyAppend: return "empty append"
        case let .truncateOutsideLog(after, purged, last): return "truncate after \(after.map(\.description) ?? "-") outside (\(purged.map(\.description) ?? "-"), \(last.map(\.description) ?? "-")]"
        case let .purgeBackwards(purged, requested): return "purge to \(requested) is behind purged \(purged.map(\.description) ?? "-")"
        case let .purgeBeyondApplied(applied, requested): return "purge to \(requested) beyond applied \(applied.map(\.description) ?? "-")"
        case let .readOutsideRequest(requested, got): return "read of \(requested) returned index \(got)"
        case let .readHasGap(requested, missing): return "read of \(requested) is missing index \(missing) inside the log"
        case .flushReportedTwice: return "an append's durability was reported twice"
        case let .logStateMismatch(expected, reported): return "log state \(reported) differs from expected \(expected)"
        case let .reapply(lastApplied, got): return "re-apply of \(got) after \(lastApplied.map(\.description) ?? "-")"
        case let .applyGap(lastApplied, got): return "apply of \(got) skips entries after \(lastApplied.map(\.description) ?? "-")"
        case let .responseCountMismatch(commands, responses): return "\(responses) responses for \(commands) commands"
        case let .appliedStateMismatch(expected, reported): return "applied state \(reported.map(\.description) ?? "-") differs from expected \(expected.map(\.description) ?? "-")"
        case let .snapshotWentBackwards(applied, snapshot): return "snapshot \(snapshot.map(\.description) ?? "-") installed behind applied \(applied.map(\.description) ?? "-")"
        }
    }
}
