/// Identifies one operation in a recorded history, so that reports can point back at it.
public struct OperationID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The number ``History`` assigns: the operation's position in invocation order.
    public var rawValue: Int

    /// Wraps a number; ids need only be unique within the history being checked.
    public init(_ rawValue: Int) {
        self.rawValue = rawValue
    }

    public static func < (lhs: OperationID, rhs: OperationID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { "#\(rawValue)" }
}

/// What a client learned about an operation it issued.
public enum OperationOutcome<Output> {
    /// The operation took effect exactly once and the client saw `Output`.
    case ok(Output)
    /// The operation definitely did not take effect (for example, refused before being
    /// proposed), so the checker ignores it. An operation that completed with a negative
    /// answer, such as a compare-and-set whose expected value did not match, is `.ok` with
    /// that answer, not `.fail`: it observed the object.
    case fail
    /// The client cannot tell whether the operation took effect (a timeout, a lost
    /// connection, a crashed leader). It may take effect at any time after its invocation,
    /// arbitrarily late, or never.
    case unknown
}

extension OperationOutcome: Sendable where Output: Sendable {}
extension OperationOutcome: Equatable where Output: Equatable {}
extension OperationOutcome: Hashable where Output: Hashable {}

/// One client operation: when it was invoked, what it asked for, and how it ended.
///
/// Times are logical and only their order matters; the checker treats an invocation and a
/// completion carrying the same time as overlapping, which errs toward accepting a history.
/// Give every recorded event its own time (an event counter or strictly increasing simulated
/// nanoseconds) to get the strictest check.
public struct HistoryOperation<Input, Output> {
    /// Names the operation in reports.
    public var id: OperationID
    /// The client that issued it; used only in reports, since linearizability constrains
    /// operations by real time, not by client.
    public var clientID: UInt64
    /// What was asked of the object.
    public var input: Input
    /// When the client issued it.
    public var invokedAt: UInt64
    /// How it ended, as far as the client knows.
    public var outcome: OperationOutcome<Output>
    /// When the client saw the outcome. Required for `.ok` and `.fail`; for `.unknown` it is
    /// informational only, because such an operation may take effect after it. (An `.ok`
    /// operation whose time was later removed by mutation is checked as unknown.)
    public var completedAt: UInt64?

    /// Creates an operation record.
    ///
    /// - Precondition: `.ok` and `.fail` operations carry a `completedAt` no earlier than
    ///   `invokedAt`; an operation cannot finish before it starts, and allowing it would make
    ///   the checker's real-time order meaningless.
    public init(
        id: OperationID,
        clientID: UInt64,
        input: Input,
        invokedAt: UInt64,
        outcome: OperationOutcome<Output>,
        completedAt: UInt64?
    ) {
        switch outcome {
        case .ok, .fail:
            precondition(completedAt != nil, "a completed operation needs a completion time")
        case .unknown:
            break
        }
        if let completedAt {
            precondition(completedAt >= invokedAt, "an operation cannot complete before it is invoked")
        }
        self.id = id
        self.clientID = clientID
        self.input = input
        self.invokedAt = invokedAt
        self.outcome = outcome
        self.completedAt = completedAt
    }

    /// The output the client observed, if the operation succeeded.
    public var output: Output? {
        if case .ok(let output) = outcome { return output }
        return nil
    }
}

extension HistoryOperation: Sendable where Input: Sendable, Output: Sendable {}
extension HistoryOperation: Equatable where Input: Equatable, Output: Equatable {}
extension HistoryOperation: Hashable where Input: Hashable, Output: Hashable {}

extension HistoryOperation: CustomStringConvertible {
    /// One line for reports: `#id client c [invoked, completed] input -> outcome`.
    public var description: String {
        let end = completedAt.map(String.init) ?? "?"
        let result: String
        switch outcome {
        case .ok(let output): result = "ok \(output)"
        case .fail: result = "fail"
        case .unknown: result = "unknown"
        }
        return "\(id) client \(clientID) [\(invokedAt), \(end)] \(input) -> \(result)"
    }
}
