/// The verdict on a whole history.
public enum LinearizabilityResult<Model: LinearizabilityModel>: Sendable {
    /// Every partition has a linearization.
    case linearizable
    /// One partition has none. Checking stops at the first such partition.
    case notLinearizable(LinearizabilityViolation<Model>)
    /// No partition is known to be wrong, but these ran out of search budget, so the
    /// history may or may not be linearizable.
    case timedOut(partitions: [Model.PartitionKey])

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

/// Why one partition of a history has no linearization, in terms a human can follow.
///
/// The search cannot name a single culprit, because a violation is a property of the whole
/// partition; it reports the furthest it got instead, which is usually where the anomaly is.
public struct LinearizabilityViolation<Model: LinearizabilityModel>: Sendable {
    public typealias Operation = HistoryOperation<Model.Input, Model.Output>

    /// The partition (for a key-value model, the key) that has no linearization.
    public var partition: Model.PartitionKey
    /// All operations of the partition as recorded, including failed ones, by invocation.
    public var operations: [Operation]
    /// The longest sequence of operations the search could linearize, in linearization order.
    public var longestLinearizablePrefix: [OperationID]
    /// The state reached after ``longestLinearizablePrefix``, as the model's
    /// ``LinearizabilityModel/simplify(partition:)`` saw it (a key-value model may show a
    /// value nobody observed in place of another such value).
    public var stateAfterPrefix: Model.State
    /// An acknowledged operation that could not be linearized after the prefix although it
    /// had already completed, or `nil` if the search ended without meeting one.
    public var blockingOperation: OperationID?
}

extension LinearizabilityViolation: CustomStringConvertible {
    /// A compact report: the end of the linearized prefix, the operation that could not
    /// follow it, and the operations that were still candidates at that point. Printing the
    /// whole partition would bury the anomaly in a long history; ``operations`` has it all.
    public var description: String {
        let byID = Dictionary(operations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let linearized = Set(longestLinearizablePrefix)
        let tailLength = 8
        var lines = [
            "not linearizable: partition \(partition), \(operations.count) operations",
            "longest linearizable prefix: \(longestLinearizablePrefix.count) operations, "
                + "state after it: \(stateAfterPrefix)",
        ]
        if longestLinearizablePrefix.count > tailLength {
            lines.append("  ... \(longestLinearizablePrefix.count - tailLength) earlier operations")
        }
        for id in longestLinearizablePrefix.suffix(tailLength) {
            lines.append("  \(byID[id].map(String.init(describing:)) ?? id.description)")
        }
        guard let blockingID = blockingOperation, let blocking = byID[blockingID] else {
            return lines.joined(separator: "\n")
        }
        lines.append("cannot linearize next: \(blocking)")
        let deadline = blocking.completedAt ?? blocking.invokedAt
        let pending = operations.filter { operation in
            guard operation.id != blockingID, !linearized.contains(operation.id) else { return false }
            if case .fail = operation.outcome { return false }
            return operation.invokedAt <= deadline
        }
        if !pending.isEmpty {
            lines.append("other operations not linearized, invoked before it completed:")
            for operation in pending {
                lines.append("  \(operation)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
