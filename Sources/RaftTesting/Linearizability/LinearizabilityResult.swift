/// The outcome of checking a history: the verdict, and what each partition's search did.
public struct LinearizabilityResult<Model: LinearizabilityModel>: Sendable {
    /// Whether the history is linearizable, as far as the search could tell.
    public enum Verdict: Sendable {
        /// Every partition has a linearization.
        case linearizable
        /// A partition has none. The check stops at the first one found, so with partitions
        /// searched concurrently, which of several violating partitions is reported may vary
        /// from run to run; that there is a violation does not.
        case notLinearizable(LinearizabilityViolation<Model>)
        /// No partition is known to be wrong, but these were not decided: the history may or
        /// may not be linearizable. `reason` is the first that applies of cancelled, deadline
        /// and step budget; each partition's own is in ``LinearizabilityResult/partitions``.
        case unknown(partitions: [Model.PartitionKey], reason: UndecidedReason)
    }

    /// The verdict on the whole history.
    public var verdict: Verdict
    /// Every partition, in order of its first invocation.
    public var partitions: [PartitionOutcome<Model.PartitionKey>]
    /// Wall-clock time of the whole check.
    public var elapsed: Duration

    /// Search steps of all partitions together.
    public var steps: Int {
        partitions.reduce(0) { $0 + $1.steps }
    }

    /// Whether the history is known to be linearizable; `false` also when unknown.
    public var isLinearizable: Bool {
        if case .linearizable = verdict { return true }
        return false
    }

    /// The violation, if the history is known not to be linearizable.
    public var violation: LinearizabilityViolation<Model>? {
        if case .notLinearizable(let violation) = verdict { return violation }
        return nil
    }

    /// Whether the search gave up without a verdict.
    public var isUnknown: Bool {
        if case .unknown = verdict { return true }
        return false
    }
}

/// Why the checker gave up on a partition without deciding it.
public enum UndecidedReason: Hashable, Sendable, CustomStringConvertible {
    /// The partition used its ``LinearizabilityChecker/maxStepsPerPartition``.
    case stepBudget
    /// The check's ``LinearizabilityChecker/timeLimit`` passed.
    case deadline
    /// The caller cancelled the check (its task, or a ``CheckCancellation``).
    case cancelled

    /// A phrase for reports: "the step budget ran out", and so on.
    public var description: String {
        switch self {
        case .stepBudget: return "the step budget ran out"
        case .deadline: return "the time limit passed"
        case .cancelled: return "the check was cancelled"
        }
    }
}

/// What the search did with one partition.
public struct PartitionOutcome<Key: Hashable & Sendable>: Hashable, Sendable {
    /// How the partition's search ended.
    public enum Status: Hashable, Sendable {
        /// The search found a linearization.
        case linearizable
        /// The search proved there is none; the result's violation is this partition's,
        /// unless another partition's was found first.
        case notLinearizable
        /// The search gave up, for this reason.
        case undecided(UndecidedReason)
        /// Another partition's violation decided the history first, so this one's search
        /// was stopped, or never started.
        case abandoned
    }

    /// The partition (for a key-value model, the key).
    public var partition: Key
    /// How the partition's search ended.
    public var status: Status
    /// Search steps taken: each tries one candidate operation or undoes one.
    public var steps: Int
    /// Operations searched, after the model's simplification.
    public var operations: Int
}

extension LinearizabilityResult: CustomStringConvertible {
    /// `linearizable`, the violation's report, or why the verdict is unknown.
    public var description: String {
        switch verdict {
        case .linearizable:
            return "linearizable"
        case .notLinearizable(let violation):
            return violation.description
        case .unknown(let partitions, let reason):
            return "unknown: \(reason) in partitions \(partitions) (\(steps) steps)"
        }
    }
}
