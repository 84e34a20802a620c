/// Why one partition of a history has no linearization, in terms a human can follow.
///
/// The search cannot name a single culprit, because a violation is a property of the whole
/// partition; it reports the furthest it got instead, which is usually where the anomaly is.
/// `description` prints the end of that prefix, the operation that could not follow it and
/// the other operations that could have gone first.
public struct LinearizabilityViolation<Model: LinearizabilityModel>: Sendable {
    /// An operation of the history.
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
