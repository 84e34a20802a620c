import RaftTesting
import Testing

@Suite(.ownThread) struct RandomizedCrossCheckTests {
    @Test(arguments: 0..<4)
    func historiesOfAnAtomicRegisterAreLinearizable(batch: UInt64) {
        for seed in batch * 50..<(batch + 1) * 50 {
            let generator = RegisterHistoryGenerator(
                clients: 2 + Int(seed % 4), operations: 30 + Int(seed % 40), keys: ["x", "y"])
            let result = LinearizabilityChecker(model: KV()).check(generator.generate(seed: seed))
            #expect(result.isLinearizable, "seed \(seed): \(result)")
        }
    }

    @Test(arguments: 0..<4)
    func corruptingOneReadOfAnAtomicRegisterIsDetected(batch: UInt64) {
        for seed in batch * 50..<(batch + 1) * 50 {
            let generator = RegisterHistoryGenerator(
                clients: 2 + Int(seed % 4), operations: 30 + Int(seed % 40), keys: ["x", "y"])
            var operations = generator.generate(seed: seed)
            var rng = SeededGenerator(seed: seed ^ 0xC0FFEE)
            guard let corrupted = corruptOneRead(&operations, using: &rng) else { continue }
            let result = LinearizabilityChecker(model: KV()).check(operations)
            let key = operations[corrupted.rawValue].input.key
            #expect(result.violation?.partition == key, "seed \(seed): \(result)")
        }
    }

    @Test func randomTinyHistoriesAgreeWithExhaustiveEnumeration() {
        // The key-value model's own shortcuts and the bare search are checked separately, so
        // that a bug in one cannot hide behind the other.
        let kv = LinearizabilityChecker(model: KV())
        let bare = LinearizabilityChecker(model: BareKVModel())
        var disagreements: [String] = []
        var verdicts = (linearizable: 0, not: 0)
        for seed in UInt64(0)..<1_500 {
            let operations = randomTinyHistory(seed: seed)
            let expected = exhaustivelyLinearizable(operations)
            if kv.check(operations).isLinearizable != expected { disagreements.append("kv \(seed)") }
            if bare.check(operations).isLinearizable != expected { disagreements.append("bare \(seed)") }
            if expected { verdicts.linearizable += 1 } else { verdicts.not += 1 }
        }
        #expect(disagreements.isEmpty, "seeds \(disagreements)")
        // Both verdicts must be well represented, or the comparison proves little.
        #expect(verdicts.linearizable > 300 && verdicts.not > 300, "\(verdicts)")
    }

    @Test func randomTinyHistoriesWithAppendsAgreeWithExhaustiveEnumeration() {
        let kv = LinearizabilityChecker(model: KV())
        let bare = LinearizabilityChecker(model: BareKVModel())
        var disagreements: [String] = []
        var verdicts = (linearizable: 0, not: 0)
        for seed in UInt64(0)..<1_500 {
            let operations = randomTinyHistory(seed: seed, appends: true)
            let expected = exhaustivelyLinearizable(operations)
            if kv.check(operations).isLinearizable != expected { disagreements.append("kv \(seed)") }
            if bare.check(operations).isLinearizable != expected { disagreements.append("bare \(seed)") }
            if expected { verdicts.linearizable += 1 } else { verdicts.not += 1 }
        }
        #expect(disagreements.isEmpty, "seeds \(disagreements)")
        #expect(verdicts.linearizable > 300 && verdicts.not > 300, "\(verdicts)")
    }

    @Test(arguments: 0..<2)
    func historiesOfAnAtomicStoreWithAppendsAreLinearizableAndCorruptionIsDetected(batch: UInt64) {
        for seed in batch * 50..<(batch + 1) * 50 {
            let generator = RegisterHistoryGenerator(
                clients: 2 + Int(seed % 4), operations: 30 + Int(seed % 40), keys: ["x", "y"], appendPercent: 40)
            var operations = generator.generate(seed: seed)
            let result = LinearizabilityChecker(model: KV()).check(operations)
            #expect(result.isLinearizable, "seed \(seed): \(result)")
            var rng = SeededGenerator(seed: seed ^ 0xA99E_4D)
            guard let corrupted = corruptOneRead(&operations, using: &rng) else { continue }
            let corruptedResult = LinearizabilityChecker(model: KV()).check(operations)
            let key = operations[corrupted.rawValue].input.key
            #expect(corruptedResult.violation?.partition == key, "seed \(seed): \(corruptedResult)")
        }
    }
}

/// The key-value model without its optional shortcuts (history simplification and the
/// overwrite hint), so that only the search's own pruning is exercised.
private struct BareKVModel: LinearizabilityModel {
    let base = KV()

    func partition(of input: KV.Input) -> String { base.partition(of: input) }
    func initialState(for partition: String) -> String? { base.initialState(for: partition) }
    func step(_ state: String?, _ input: KV.Input, _ output: KV.Output) -> (ok: Bool, newState: String?) {
        base.step(state, input, output)
    }
    func statesAfterUnobservedStep(_ state: String?, _ input: KV.Input) -> [String?] {
        base.statesAfterUnobservedStep(state, input)
    }
}

/// Up to eight operations on one key with arbitrary outputs, so that histories of both
/// verdicts come up, with many unknown outcomes. Even seeds use few distinct values, so
/// that they collide; odd seeds write a distinct value each time, which is what lets the
/// key-value model's shortcuts drop or merge unknown writes.
///
/// With `appends`, a fifth kind of operation appends one of the values, so that reads observe
/// concatenations.
private func randomTinyHistory(seed: UInt64, appends: Bool = false) -> [KVOperation] {
    var rng = SeededGenerator(seed: seed)
    let values = seed % 2 == 0 ? ["a", "b", "c"] : (0..<8).map { "v\($0)" }
    var unwritten = values.shuffled(using: &rng)
    let count = Int.random(in: 1...8, using: &rng)
    return (0..<count).map { index in
        let start = UInt64.random(in: 0...12, using: &rng)
        let end = start + UInt64.random(in: 0...6, using: &rng)
        let input: KV.Input
        let output: KV.Output
        switch Int.random(in: 0..<(appends ? 5 : 4), using: &rng) {
        case 0:
            input = .read("x")
            output = .read(Bool.random(using: &rng) ? nil : readValue(values, appends, &rng))
        case 1:
            input = .write("x", newValue(values, &unwritten, seed, &rng))
            output = .written
        case 2:
            input = .compareAndSet(
                "x", expected: Bool.random(using: &rng) ? nil : values.randomElement(using: &rng),
                new: newValue(values, &unwritten, seed, &rng))
            output = .compareAndSet(succeeded: Bool.random(using: &rng))
        case 3:
            input = .delete("x")
            output = .deleted
        default:
            input = .append("x", values.randomElement(using: &rng)!)
            output = .appended
        }
        let outcome: OperationOutcome<KV.Output>
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: outcome = .fail
        case 1, 2, 3: outcome = .unknown
        default: outcome = .ok(output)
        }
        return KVOperation(
            id: OperationID(index), clientID: UInt64(index), input: input,
            invokedAt: start, outcome: outcome, completedAt: end)
    }
}

/// A value a read may return: with appends, often a concatenation of two values.
private func readValue(_ values: [String], _ appends: Bool, _ rng: inout SeededGenerator) -> String {
    let first = values.randomElement(using: &rng)!
    guard appends, Bool.random(using: &rng) else { return first }
    return first + values.randomElement(using: &rng)!
}

private func newValue(
    _ values: [String], _ unwritten: inout [String], _ seed: UInt64, _ rng: inout SeededGenerator
) -> String {
    seed % 2 == 0 ? values.randomElement(using: &rng)! : unwritten.removeLast()
}

/// The definition, applied literally: try every order of every subset of the operations that
/// contains all acknowledged ones, respecting real time, against a plain register. Remembers
/// (placed operations, value) pairs already ruled out only to keep the test quick.
private func exhaustivelyLinearizable(_ operations: [KVOperation]) -> Bool {
    let candidates = operations.filter { operation in
        if case .fail = operation.outcome { return false }
        return true
    }
    func isAcknowledged(_ operation: KVOperation) -> Bool {
        if case .ok = operation.outcome { return true }
        return false
    }
    let acknowledgedMask = candidates.indices.reduce(0) { mask, index in
        isAcknowledged(candidates[index]) ? mask | 1 << index : mask
    }
    struct Configuration: Hashable {
        var placed: Int
        var value: String?
    }
    var ruledOut = Set<Configuration>()

    func search(_ placed: Int, _ value: String?) -> Bool {
        if placed & acknowledgedMask == acknowledgedMask { return true }
        if ruledOut.contains(Configuration(placed: placed, value: value)) { return false }
        for next in candidates.indices where placed & 1 << next == 0 {
            let operation = candidates[next]
            let mustWait = candidates.indices.contains { other in
                placed & 1 << other == 0 && other != next && isAcknowledged(candidates[other])
                    && candidates[other].completedAt! < operation.invokedAt
            }
            if mustWait { continue }
            var newValue = value
            var allowed = true
            switch operation.input {
            case .read:
                if case .ok(.read(let seen)) = operation.outcome { allowed = seen == value }
            case .write(_, let written):
                newValue = written
            case .compareAndSet(_, let expected, let new):
                let matches = value == expected
                if matches { newValue = new }
                if case .ok(.compareAndSet(let succeeded)) = operation.outcome { allowed = succeeded == matches }
            case .delete:
                newValue = nil
            case .append(_, let suffix):
                newValue = (value ?? "") + suffix
            }
            if allowed, search(placed | 1 << next, newValue) { return true }
        }
        ruledOut.insert(Configuration(placed: placed, value: value))
        return false
    }
    return search(0, nil)
}
