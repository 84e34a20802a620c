/// The outcome of searching one partition.
enum PartitionVerdict<State> {
    case linearizable
    /// No linearization exists; see ``SearchVerdict/violation(path:blocking:)``. States are
    /// the model's, not ids.
    case violation(path: [(operation: Int, alternative: Int, stateAfter: State)], blocking: Int?)
    case stopped(SearchStop)
}

/// Connects a model to ``WGLSearch``: numbers states, groups interchangeable unknown
/// operations, and translates the verdict back.
struct PartitionSearch<Model: LinearizabilityModel> {
    typealias Operation = HistoryOperation<Model.Input, Model.Output>

    let model: Model
    /// Operations that are `.ok` or `.unknown`, sorted by invocation.
    let operations: [Operation]
    let initialState: Model.State
    let maxSteps: Int
    let control: SearchControl?

    /// The verdict, and the search steps it took.
    func run() -> (verdict: PartitionVerdict<Model.State>, steps: Int) {
        let table = StateTable(model: model, operations: operations)
        let initial = table.id(of: initialState)
        assert(initial == 0, "the search starts from state 0")

        var groupIDs: [[Int]: Int] = [:]
        let searchOperations = operations.indices.map { index in
            let operation = operations[index]
            var described = SearchOperation(
                invokedAt: operation.invokedAt,
                completedAt: operation.isAcknowledged ? operation.completedAt : nil,
                overwritesState: model.overwritesState(operation.input))
            if case .ok(let output) = operation.outcome {
                described.readsOnly = model.leavesStateUnchanged(operation.input, output)
            }
            if !operation.isAcknowledged, described.overwritesState {
                // An overwriting operation's result does not depend on the state it starts
                // from, so asking from the initial state identifies it.
                let result = table.unknownSuccessors(of: initial, applying: index)
                let group = groupIDs[result] ?? groupIDs.count
                groupIDs[result] = group
                described.group = group
            }
            return described
        }

        var search = WGLSearch(operations: searchOperations, maxSteps: maxSteps)
        let verdict = search.run(
            successor: { table.successor(of: $0, applying: $1) },
            unknownSuccessors: { table.unknownSuccessors(of: $0, applying: $1) },
            control: control)
        switch verdict {
        case .linearizable:
            return (.linearizable, search.steps)
        case .stopped(let reason):
            return (.stopped(reason), search.steps)
        case .violation(let path, let blocking):
            return (
                .violation(
                    path: path.map { ($0.operation, $0.alternative, table.states[$0.stateAfter]) },
                    blocking: blocking),
                search.steps
            )
        }
    }
}

extension HistoryOperation {
    /// Whether the client saw the operation succeed, so that it must be linearized.
    var isAcknowledged: Bool {
        if case .ok = outcome { return true }
        return false
    }
}
