/// The verdict on a whole history.
public enum LinearizabilityResult<Model: LinearizabilityModel>: Sendable {
    /// Every partition has a linearization.
    case linearizable
    /// One partition has none. Checking stops at the first such partition.
    case notLinearizable(LinearizabilityViolation<Model>)
    /// No partition is known to be wrong, but these ran out of search budget, so the
    /// history may or may not be linearizable.
    case timedOut(partitions: [Model.PartitionKey])

    /// Whether the history is known to be linearizable; `false` also when unknown.
    public var isLinearizable: Bool {
        if case .linearizable = self { return true }
        return false
    }

    /// The violation, if the history is known not to be linearizable.
    public var violation: LinearizabilityViolation<Model>? {
        if case .notLinearizable(let violation) = self { return violation }
        return nil
    }
}

extension LinearizabilityResult: CustomStringConvertible {
    /// `linearizable`, the violation's report, or which partitions timed out.
    public var description: String {
        switch self {
        case .linearizable:
            return "linearizable"
        case .notLinearizable(let violation):
            return violation.description
        case .timedOut(let partitions):
            return "unknown: the search budget ran out in partitions \(partitions)"
        }
    }
}

/// Why one partition of a history has no linearization, in terms a human can follow.
///
/// The search cannot name a single culprit, because a violation is a property of the whole
/// partition; it reports the furthest it got instead, which is usually where the anomaly is.
/// `description` prints the end of that prefix, the operation that could not follow it and
/// the other operations that could have gone first.
public struct LinearizabilityViolation<Model: LinearizabilityModel>: Sendable {
    public typealias Operation = HistoryOperation<Model.Input, Model.Output>

    /// The partition (for a key-value model, the key) that has no linearization.
    public var partition: Model.PartitionKey
    /// All operations of the partition as recorded, including failed ones, by invocation.
    public var operations: [Operation]
    /// The longest sequence of operations the search could linearize, in linearization order.
    public var longestLinearizablePrefix: [OperationID]
    /// The state after each operation of ``longestLinearizablePrefix``.
    public var statesAlongPrefix: [Model.State]
    /// The state reached after ``longestLinearizablePrefix``.
    public var stateAfterPrefix: Model.State
    /// An acknowledged operation that could not be linearized after the prefix although it
    /// had already completed, or `nil` if the search ended without meeting one.
    public var blockingOperation: OperationID?
    /// The other operations that could still have been placed before the blocking one:
    /// not in the prefix, invoked before it completed, and not failed or dropped as
    /// irrelevant by the model's ``LinearizabilityModel/simplify(partition:)``.
    public var otherCandidates: [OperationID]
}
