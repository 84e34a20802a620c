/// Numbers the model's states and remembers the model's answers, so that the search itself
/// works on integers.
///
/// The search asks the same question (this operation, from this state) many times as it
/// backtracks; answering from a table is cheaper than calling the model and hashing a
/// generic state again, especially in unoptimized builds, where generic code is slow.
final class StateTable<Model: LinearizabilityModel> {
    typealias Operation = HistoryOperation<Model.Input, Model.Output>

    private let model: Model
    private let count: Int
    /// Inputs and outputs apart: copying them out of a whole generic operation record, in
    /// code not specialized for the model, costs more than the model's step.
    private let inputs: [Model.Input]
    private let outputs: [Model.Output?]
    private(set) var states: [Model.State] = []
    /// The first state id with each hash value; states whose hashes collide are chained
    /// through `sameHash`. Growing this table moves integers, where a dictionary of states
    /// would hash every state again (long ones, for appends).
    private var idsByHash = IntTable()
    private var sameHash: [Int32] = []
    /// Keyed by `state * operations.count + operation`; -1 when the step is rejected.
    private var acknowledgedSteps = IntTable()
    /// Keyed the same way: positions in `unknownResults`.
    private var unknownSteps = IntTable()
    private var unknownResults: [[Int]] = []

    init(model: Model, operations: [Operation]) {
        self.model = model
        count = operations.count
        inputs = operations.map(\.input)
        outputs = operations.map(\.output)
    }

    func id(of state: Model.State) -> Int {
        let hash = UInt64(bitPattern: Int64(state.hashValue))
        let first = idsByHash.value(for: hash)
        var candidate = first.map(Int.init) ?? -1
        while candidate >= 0 {
            if states[candidate] == state { return candidate }
            candidate = Int(sameHash[candidate])
        }
        let id = states.count
        states.append(state)
        sameHash.append(first ?? -1)
        idsByHash.set(Int32(id), for: hash)
        return id
    }

    /// The state after acknowledged operation `operation` from `state`, or `nil` if the
    /// model rejects its recorded output there.
    func successor(of state: Int, applying operation: Int) -> Int? {
        let key = UInt64(state * count + operation)
        if let known = acknowledgedSteps.value(for: key) { return known < 0 ? nil : Int(known) }
        var result = -1
        if let output = outputs[operation] {
            let (ok, newState) = model.step(states[state], inputs[operation], output)
            if ok { result = id(of: newState) }
        }
        acknowledgedSteps.set(Int32(result), for: key)
        return result < 0 ? nil : result
    }

    /// The states unknown operation `operation` can leave behind from `state`.
    func unknownSuccessors(of state: Int, applying operation: Int) -> [Int] {
        let key = UInt64(state * count + operation)
        if let known = unknownSteps.value(for: key) { return unknownResults[Int(known)] }
        let result = model.statesAfterUnobservedStep(states[state], inputs[operation]).map(id(of:))
        unknownSteps.set(Int32(unknownResults.count), for: key)
        unknownResults.append(result)
        return result
    }
}
