extension LinearizabilityViolation {
    /// Builds the report from what the search found, restating it in terms of the recorded
    /// operations.
    ///
    /// The states come from replaying the recorded operations along the path, because a
    /// model's ``LinearizabilityModel/simplify(partition:)`` may have renamed values (the
    /// key-value model merges values nobody observed) and a report should show what the
    /// clients actually did. If the replay disagrees with the search, the search's states
    /// are kept rather than hiding the violation.
    init(
        model: Model,
        partition: Model.PartitionKey,
        recorded: [Operation],
        searched: [Operation],
        path: [(operation: Int, alternative: Int, stateAfter: Model.State)],
        blocking: Int?
    ) {
        let byID = Dictionary(recorded.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let initial = model.initialState(for: partition)
        var states = path.map(\.stateAfter)
        var state = initial
        var replayed: [Model.State] = []
        replay: for step in path {
            guard let operation = byID[searched[step.operation].id] else { break replay }
            switch operation.outcome {
            case .ok(let output):
                let (ok, newState) = model.step(state, operation.input, output)
                guard ok else { break replay }
                state = newState
            case .unknown:
                let successors = model.statesAfterUnobservedStep(state, operation.input)
                guard successors.indices.contains(step.alternative) else { break replay }
                state = successors[step.alternative]
            case .fail:
                break replay
            }
            replayed.append(state)
        }
        if replayed.count == path.count { states = replayed }

        let prefix = path.map { searched[$0.operation].id }
        var candidates: [OperationID] = []
        if let blocking, let deadline = searched[blocking].completedAt {
            let linearized = Set(prefix)
            candidates = searched.filter { operation in
                operation.id != searched[blocking].id && !linearized.contains(operation.id)
                    && operation.invokedAt <= deadline
            }.map(\.id)
        }

        self.init(
            partition: partition,
            operations: recorded,
            longestLinearizablePrefix: prefix,
            statesAlongPrefix: states,
            stateAfterPrefix: states.last ?? initial,
            blockingOperation: blocking.map { searched[$0].id },
            otherCandidates: candidates)
    }
}

extension LinearizabilityViolation: CustomStringConvertible {
    /// A compact report: the end of the linearized prefix with the state after each step,
    /// the operation that could not follow, and the other candidates at that point. Printing
    /// the whole partition would bury the anomaly in a long history; ``operations`` has it
    /// all.
    public var description: String {
        let byID = Dictionary(operations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        func describe(_ id: OperationID) -> String {
            byID[id].map(String.init(describing:)) ?? id.description
        }
        let shown = 8
        var lines = [
            "not linearizable: partition \(partition), \(operations.count) operations",
            "longest linearizable prefix: \(longestLinearizablePrefix.count) operations, "
                + "state after it: \(describeValue(stateAfterPrefix))",
        ]
        if longestLinearizablePrefix.count > shown {
            lines.append("  ... \(longestLinearizablePrefix.count - shown) earlier operations")
        }
        for (id, state) in zip(longestLinearizablePrefix, statesAlongPrefix).suffix(shown) {
            lines.append("  \(describe(id))  => \(describeValue(state))")
        }
        if let blockingOperation {
            lines.append("cannot linearize next: \(describe(blockingOperation))")
        }
        if !otherCandidates.isEmpty {
            lines.append("other candidates at that point:")
            lines += otherCandidates.map { "  \(describe($0))" }
        }
        return lines.joined(separator: "\n")
    }
}

/// Lets the report print an optional state as its value or `nil` instead of
/// `Optional(...)`, without asking every model for a formatter.
private protocol OptionalValue {
    var valueDescription: String { get }
}

extension Optional: OptionalValue {
    fileprivate var valueDescription: String {
        switch self {
        case .some(let wrapped): return describeValue(wrapped)
        case .none: return "nil"
        }
    }
}

private func describeValue(_ value: Any) -> String {
    (value as? OptionalValue)?.valueDescription ?? String(describing: value)
}
