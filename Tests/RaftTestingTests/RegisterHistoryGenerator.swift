import RaftTesting

/// Produces histories by running clients against a real atomic key-value store: each
/// operation takes effect at a random instant inside its interval, so the result is
/// linearizable by construction.
struct RegisterHistoryGenerator {
    var clients = 4
    var operations = 40
    var keys = ["x"]
    /// Percentages of operations that fail (no effect) and that end unknown.
    var failPercent = 5
    var unknownPercent = 10
    /// Percentage of operations that append to the key instead of reading, writing,
    /// compare-and-setting or deleting it.
    var appendPercent = 0
    var maxDuration: UInt64 = 12

    func generate(seed: UInt64) -> [KVOperation] {
        var rng = SeededGenerator(seed: seed)
        var clientFree = [UInt64](repeating: 0, count: clients)
        var written: [String: [String]] = [:]
        var counter = 0

        struct Planned {
            var client: UInt64
            var input: KV.Input
            var start: UInt64
            var end: UInt64
            var instant: UInt64
            var kind: Int  // 0 ok, 1 fail, 2 unknown
            var takesEffect: Bool
        }
        var planned: [Planned] = []

        for _ in 0..<operations {
            // The client that frees up first goes next, so time advances and clients stay
            // sequential while their intervals overlap with other clients'.
            let client = clientFree.indices.min { clientFree[$0] < clientFree[$1] }!
            let start = clientFree[client] + UInt64.random(in: 0...3, using: &rng)
            let end = start + UInt64.random(in: 1...maxDuration, using: &rng)
            clientFree[client] = end + 1

            let key = keys.randomElement(using: &rng)!
            let input: KV.Input
            let choice = Int.random(in: 0..<100, using: &rng)
            switch choice {
            case _ where choice < appendPercent:
                counter += 1
                input = .append(key, "v\(counter);")
            case 0..<40:
                input = .read(key)
            case 40..<75:
                counter += 1
                input = .write(key, "v\(counter)")
            case 75..<95:
                counter += 1
                let previous = written[key, default: []]
                let expected = Bool.random(using: &rng) ? previous.last : previous.randomElement(using: &rng)
                input = .compareAndSet(key, expected: expected, new: "v\(counter)")
            default:
                input = .delete(key)
            }
            if case .write(_, let value) = input { written[key, default: []].append(value) }
            if case .compareAndSet(_, _, let value) = input { written[key, default: []].append(value) }

            let roll = Int.random(in: 0..<100, using: &rng)
            let kind = roll < failPercent ? 1 : roll < failPercent + unknownPercent ? 2 : 0
            planned.append(
                Planned(
                    client: UInt64(client), input: input, start: start, end: end,
                    instant: UInt64.random(in: start...end, using: &rng),
                    kind: kind, takesEffect: kind == 0 || (kind == 2 && Bool.random(using: &rng))))
        }

        var store: [String: String] = [:]
        var outputs = [KV.Output?](repeating: nil, count: planned.count)
        let order = planned.indices.filter { planned[$0].takesEffect }.sorted {
            (planned[$0].instant, $0) < (planned[$1].instant, $1)
        }
        for index in order {
            switch planned[index].input {
            case .read(let key):
                outputs[index] = .read(store[key])
            case .write(let key, let value):
                store[key] = value
                outputs[index] = .written
            case .compareAndSet(let key, let expected, let new):
                let matches = store[key] == expected
                if matches { store[key] = new }
                outputs[index] = .compareAndSet(succeeded: matches)
            case .delete(let key):
                store[key] = nil
                outputs[index] = .deleted
            case .append(let key, let suffix):
                store[key] = (store[key] ?? "") + suffix
                outputs[index] = .appended
            }
        }

        return planned.indices.map { index in
            let plan = planned[index]
            let outcome: OperationOutcome<KV.Output>
            switch plan.kind {
            case 0: outcome = .ok(outputs[index]!)
            case 1: outcome = .fail
            default: outcome = .unknown
            }
            return KVOperation(
                id: OperationID(index), clientID: plan.client, input: plan.input,
                invokedAt: plan.start, outcome: outcome, completedAt: plan.end)
        }
    }
}

/// Changes one acknowledged read so that no linearization can exist: it now returns a
/// value first written by an operation invoked after the read completed (values are unique),
/// or, failing that, a value nobody wrote. Returns the mutated read's id.
func corruptOneRead(_ operations: inout [KVOperation], using rng: inout SeededGenerator) -> OperationID? {
    let reads = operations.indices.filter { index in
        if case .read = operations[index].input, case .ok = operations[index].outcome { return true }
        return false
    }
    guard let target = reads.randomElement(using: &rng) else { return nil }
    let read = operations[target]
    let future = operations.compactMap { operation -> String? in
        guard operation.input.key == read.input.key, operation.invokedAt > read.completedAt! else { return nil }
        switch operation.input {
        case .write(_, let value), .compareAndSet(_, _, let value): return value
        default: return nil
        }
    }
    let impossible = future.randomElement(using: &rng) ?? "never-written"
    operations[target].outcome = .ok(.read(impossible))
    return read.id
}
