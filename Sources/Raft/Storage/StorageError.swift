import RaftCore

/// A failure of the log store or the state machine. Fatal for the node: it stops, and the
/// error is reported in metrics and to every pending call.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being accessed.
    public enum Subject: Hashable, Sendable, CustomStringConvertible {
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

        public var description: String {
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
    public enum Verb: String, Hashable, Sendable {
        case read, write, delete, sync, open
    }

    public var subject: Subject
    public var verb: Verb
    /// Human-readable detail (an errno string, "checksum mismatch", ...).
    public var reason: String
    /// True when stored data failed verification (checksum, impossible contents), as opposed to
    /// an I/O error; such a node must not vote as if it still had the data.
    public var isCorruption: Bool

    public init(subject: Subject, verb: Verb, reason: String, isCorruption: Bool = false) {
        self.subject = subject
        self.verb = verb
        self.reason = reason
        self.isCorruption = isCorruption
    }

    public var description: String {
        "storage error: \(verb.rawValue) \(subject): \(reason)\(isCorruption ? " (corruption)" : "")"
    }
}
