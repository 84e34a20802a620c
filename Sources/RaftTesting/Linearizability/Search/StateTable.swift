/// Numbers the model's states and remembers the model's answers, so that the search itself
/// works on integers.
///
/// The search asks the same question (this operation, from this state) many times as it
/// backtracks; answering from a table is cheaper than calling the model and hashing a
/// generic state again, especially in unoptimized builds, where generic code is slow.
final class StateTable<Model: LinearizabilityModel> {
    typealias Operation = HistoryOperation<Model.Input, Model.Output>

    private let model: Model
    private let operations: [Operation]
    private(set) var states: [Model.State] = []
    private var ids: [Model.State: Int] = [:]
    /// Keyed by `state * operations.count + operation`; -1 when the step is rejected.
    private var acknowledgedSteps = IntTable()
    /// Keyed the same way: positions in `unknownResults`.
    private var unknownSteps = IntTable()
    private var unknownResults: [[Int]] = []

    init(model: Model, operations: [Operation]) {
        self.model = model
        self.operations = operations
    }

    func id(of state: Model.State) -> Int {
        if let id = ids[state] { return id }
        ids[state] = states.count
        states.append(state)
        return states.count - 1
    }

    /// The state after acknowledged operation `operation` from `state`, or `nil` if the
    /// model rejects its recorded output there.
    func successor(of state: Int, applying operation: Int) -> Int? {
        let key = UInt64(state * operations.count + operation)
        if let known = acknowledgedSteps.value(for: key) { return known < 0 ? nil : Int(known) }
        var result = -1
        if case .ok(let output) = operations[operation].outcome {
            let (ok, newState) = model.step(states[state], operations[operation].input, output)
            if ok { result = id(of: newState) }
        }
        acknowledgedSteps.set(Int32(result), for: key)
        return result < 0 ? nil : result
    }

    /// The states unknown operation `operation` can leave behind from `state`.
    func unknownSuccessors(of state: Int, applying operation: Int) -> [Int] {
        let key = UInt64(state * operations.count + operation)
        if let known = unknownSteps.value(for: key) { return unknownResults[Int(known)] }
        let result = model.statesAfterUnobservedStep(states[state], operations[operation].input).map(id(of:))
        unknownSteps.set(Int32(unknownResults.count), for: key)
        unknownResults.append(result)
        return result
    }
}
