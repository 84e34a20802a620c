import Synchronization

/// Lets another thread stop a running check: the check ends as unknown, with the reason
/// ``UndecidedReason/cancelled``, within a few thousand search steps of ``cancel()``.
///
/// The `async` `check` of ``LinearizabilityChecker`` cancels through
/// one of these when its task is cancelled; synchronous callers pass their own.
public final class CheckCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    /// A cancellation not yet cancelled.
    public init() {}

    /// Asks every check using this to stop; it cannot be undone.
    public func cancel() {
        flag.store(true, ordering: .relaxed)
    }

    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool {
        flag.load(ordering: .relaxed)
    }
}

/// Why a partition's search stopped before deciding.
enum SearchStop: Sendable {
    case stepBudget
    case deadline
    case cancelled
    /// Another partition has no linearization, which decides the whole history.
    case abandoned
}

/// What every partition's search of one check polls: the deadline, the caller's
/// cancellation, and whether another partition has already found a violation.
final class SearchControl: Sendable {
    private let deadline: ContinuousClock.Instant?
    private let cancellation: CheckCancellation?
    private let violationFound = Atomic<Bool>(false)

    init(deadline: ContinuousClock.Instant?, cancellation: CheckCancellation?) {
        self.deadline = deadline
        self.cancellation = cancellation
    }

    /// Ends the other partitions' searches.
    func reportViolation() {
        violationFound.store(true, ordering: .relaxed)
    }

    /// Why the search should stop now, if it should; cheap enough to call every few
    /// thousand steps (one clock read).
    func stopReason() -> SearchStop? {
        if cancellation?.isCancelled == true { return .cancelled }
        if violationFound.load(ordering: .relaxed) { return .abandoned }
        if let deadline, ContinuousClock.now >= deadline { return .deadline }
        return nil
    }
}
