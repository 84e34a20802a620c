/// Decides whether a concurrent history could have come from an atomic object described by
/// `Model`.
///
/// Splits the history into the model's partitions and searches each separately
/// (P-compositionality, Horn & Kroening 2015): the search is exponential in the number of
/// concurrent operations it must interleave, and splitting keeps that number small.
/// Partitions are checked in order of their first invocation, so results are reproducible.
///
/// The cost grows with the number of operations that overlap in time, and every unknown
/// outcome that the model cannot simplify away overlaps with everything after it. Finding a
/// linearization is usually quick; proving there is none means ruling out every ordering of
/// what precedes the anomaly, which is where the step budget matters.
///
/// ```swift
/// var history = History<KVModel<String, String>.Input, KVModel<String, String>.Output>()
/// let id = history.invoke(client: 1, input: .write("x", "1"), at: now)
/// // ... later, when the client hears back:
/// history.complete(id, outcome: .ok(.written), at: now)
/// let result = LinearizabilityChecker(model: KVModel<String, String>()).check(history)
/// if let violation = result.violation { print(violation) }
/// ```
public struct LinearizabilityChecker<Model: LinearizabilityModel>: Sendable {
    public var model: Model
    /// How many search steps one partition may take before it is reported as timed out.
    /// A step tries one candidate operation or undoes one; well-behaved partitions need a
    /// small multiple of their size. A million steps take a few seconds in a debug build on
    /// a 2-core machine and well under a second optimized.
    public var maxStepsPerPartition: Int

    /// A checker for `model` with a budget of `maxStepsPerPartition` search steps per
    /// partition.
    public init(model: Model, maxStepsPerPartition: Int = 1_000_000) {
        precondition(maxStepsPerPartition > 0, "the search budget must be positive")
        self.model = model
        self.maxStepsPerPartition = maxStepsPerPartition
    }

    /// Checks a recorded history; operations still open count as `.unknown`.
    public func check(_ history: History<Model.Input, Model.Output>) -> LinearizabilityResult<Model> {
        check(history.operations)
    }

    /// Checks operations recorded in any order.
    public func check(_ operations: [HistoryOperation<Model.Input, Model.Output>]) -> LinearizabilityResult<Model> {
        var timedOut: [Model.PartitionKey] = []
        for (key, partition) in partitions(of: operations) {
            switch check(partition: partition, key: key) {
            case .linearizable:
                continue
            case .notLinearizable(let violation):
                return .notLinearizable(violation)
            case .timedOut:
                timedOut.append(key)
            }
        }
        return timedOut.isEmpty ? .linearizable : .timedOut(partitions: timedOut)
    }

    /// Groups operations by partition, each group sorted by invocation, groups ordered by
    /// their first invocation (not by hash order, which varies between runs).
    private func partitions(
        of operations: [HistoryOperation<Model.Input, Model.Output>]
    ) -> [(Model.PartitionKey, [HistoryOperation<Model.Input, Model.Output>])] {
        let sorted = operations.sorted { lhs, rhs in
            (lhs.invokedAt, lhs.id) < (rhs.invokedAt, rhs.id)
        }
        var slot: [Model.PartitionKey: Int] = [:]
        var groups: [(Model.PartitionKey, [HistoryOperation<Model.Input, Model.Output>])] = []
        for operation in sorted {
            let key = model.partition(of: operation.input)
            if let index = slot[key] {
                groups[index].1.append(operation)
            } else {
                slot[key] = groups.count
                groups.append((key, [operation]))
            }
        }
        return groups
    }

    private func check(
        partition: [HistoryOperation<Model.Input, Model.Output>],
        key: Model.PartitionKey
    ) -> LinearizabilityResult<Model> {
        let relevant = partition.filter { operation in
            if case .fail = operation.outcome { return false }
            return true
        }
        let searched = model.simplify(partition: relevant)
            .filter { operation in
                if case .fail = operation.outcome { return false }
                return true
            }
            .sorted { lhs, rhs in (lhs.invokedAt, lhs.id) < (rhs.invokedAt, rhs.id) }
        let search = PartitionSearch(
            model: model,
            operations: searched,
            initialState: model.initialState(for: key),
            maxSteps: maxStepsPerPartition)
        switch search.run() {
        case .linearizable:
            return .linearizable
        case .timedOut:
            return .timedOut(partitions: [key])
        case .violation(let path, let blocking):
            return .notLinearizable(
                LinearizabilityViolation(
                    model: model, partition: key, recorded: partition, searched: searched,
                    path: path, blocking: blocking))
        }
    }
}
