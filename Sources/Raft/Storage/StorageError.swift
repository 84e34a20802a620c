import RaftCore

/// A failure of the log store or the state machine. Fatal for the node: it stops, and the
/// error is reported in metrics and to every pending call.
public struct StorageError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// What was being accessed.
    public enum Subject: Hashable, Sendable, Codable, CustomStringConvertible {
        case vote
        case committed
        case logState
        /// One entry; nil when the id is unknown.
        case logEntry(LogID?)
        /// A range of log indexes.
        case logRange(Range<LogIndex>)
        case stateMachine
        case apply(LogID)
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
        case read, write, delete, sync, open
    }

    public var subject: Subject
    public var verb: Verb
    /// Human-readable detail (an errno string, "checksum mismatch", ...).
    public var reason: String
    /// True when stored data failed verification (checksum, impossible contents), as opposed to
    /// an I/O error; such a node must not vote as if it still had the data.
    public var isCorruption: Bool
    /// Set when a defensive check caught the store breaking its contract.
    public var violation: DefensiveViolation?

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
    case voteWentBackwards(from: Vote, to: Vote)
    case committedWentBackwards(from: LogID?, to: LogID?)
    case appendNotContiguous(expectedIndex: LogIndex, got: LogIndex)
    case appendLeaderWentBackwards(last: LogID?, first: LogID)
    case emptyAppend
    case truncateOutsideLog(after: LogID?, purged: LogID?, last: LogID?)
    case purgeBackwards(purged: LogID?, requested: LogID)
    case purgeBeyondApplied(applied: LogID?, requested: LogID)
    case readOutsideRequest(requested: Range<LogIndex>, got: LogIndex)
    case readHasGap(requested: Range<LogIndex>, missing: LogIndex)
    case flushReportedTwice
    case logStateMismatch(expected: LogState, reported: LogState)
    case reapply(lastApplied: LogID?, got: LogID)
    case applyGap(lastApplied: LogID?, got: LogID)
    case responseCountMismatch(commands: Int, responses: Int)
    case appliedStateMismatch(expected: LogID?, reported: LogID?)
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
