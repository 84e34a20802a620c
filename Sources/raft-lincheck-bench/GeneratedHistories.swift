import RaftCore
import RaftTesting

typealias StringKV = KVModel<String, String>
typealias StringKVOperation = HistoryOperation<StringKV.Input, StringKV.Output>

/// The shape of a generated key-value history: clients run operations one after another
/// against an atomic store, each taking effect at a random instant inside its interval, so
/// the history is linearizable by construction; a "bad" one then has one read corrupted.
struct GeneratedShape {
    var name: String
    var clients: Int
    var keys: Int
    var operations: Int
    /// Percentages of gets, puts and compare-and-sets; the rest append.
    var getPercent: Int
    var putPercent: Int
    var casPercent: Int
    /// Percentage of operations whose client never learns the outcome (a timeout): they take
    /// effect or not, at an instant up to a few durations after their invocation.
    var unknownPercent: Int
    var seed: UInt64

    /// Histories shaped like the public 50-client key-value corpus (gets, puts and appends on
    /// ten keys, every operation answered), and like what a chaos test of `raft-kv` records
    /// (compare-and-sets too, and timeouts).
    static let all: [GeneratedShape] = [
        GeneratedShape(
            name: "gen-c50-k10-append", clients: 50, keys: 10, operations: 2_000,
            getPercent: 50, putPercent: 10, casPercent: 0, unknownPercent: 0, seed: 1),
        GeneratedShape(
            name: "gen-c50-k10-append-info", clients: 50, keys: 10, operations: 2_000,
            getPercent: 50, putPercent: 10, casPercent: 0, unknownPercent: 3, seed: 4),
        GeneratedShape(
            name: "gen-c50-k10-mixed-info", clients: 50, keys: 10, operations: 2_000,
            getPercent: 40, putPercent: 15, casPercent: 20, unknownPercent: 3, seed: 2),
        GeneratedShape(
            name: "gen-c10-k1-register-info", clients: 10, keys: 1, operations: 1_000,
            getPercent: 50, putPercent: 30, casPercent: 20, unknownPercent: 5, seed: 3),
    ]

    /// The linearizable history and, if one of its reads can be made impossible, the
    /// corrupted one.
    func generate() -> (ok: [StringKVOperation], bad: [StringKVOperation]?) {
        var rng = SplitMix(seed: seed)
        var clientFree = [UInt64](repeating: 0, count: clients)
        var counters = [Int](repeating: 0, count: clients)
        struct Planned {
            var client: Int
            var input: StringKV.Input
            var start: UInt64
            var end: UInt64
            var instant: UInt64
            var unknown: Bool
            var takesEffect: Bool
        }
        var planned: [Planned] = []
        for _ in 0..<operations {
            let client = clientFree.indices.min { clientFree[$0] < clientFree[$1] }!
            let start = clientFree[client] + rng.next(below: 4)
            let end = start + 1 + rng.next(below: 20)
            clientFree[client] = end + 1
            let key = "k\(rng.next(below: UInt64(keys)))"
            counters[client] += 1
            let value = "x \(client) \(counters[client]) y"
            let roll = Int(rng.next(below: 100))
            let input: StringKV.Input
            if roll < getPercent {
                input = .read(key)
            } else if roll < getPercent + putPercent {
                input = .write(key, value)
            } else if roll < getPercent + putPercent + casPercent {
                // The expected value is drawn when the operation takes effect, below.
                input = .compareAndSet(key, expected: "", new: value)
            } else {
                input = .append(key, value)
            }
            let unknown = Int(rng.next(below: 100)) < unknownPercent
            let latest = unknown ? end + 3 * (end - start) : end
            planned.append(
                Planned(
                    client: client, input: input, start: start, end: end,
                    instant: start + rng.next(below: latest - start + 1),
                    unknown: unknown, takesEffect: !unknown || rng.next(below: 2) == 0))
        }

        var store: [String: String] = [:]
        var previous: [String: [String]] = [:]
        var outputs = [StringKV.Output?](repeating: nil, count: planned.count)
        let order = planned.indices.filter { planned[$0].takesEffect }.sorted {
            (planned[$0].instant, $0) < (planned[$1].instant, $1)
        }
        for index in order {
            switch planned[index].input {
            case .read(let key):
                outputs[index] = .read(store[key] ?? "")
            case .write(let key, let value):
                previous[key, default: [""]].append(store[key] ?? "")
                store[key] = value
                outputs[index] = .written
            case .compareAndSet(let key, _, let new):
                // Mostly the current value, so that some succeed; else one the key held before.
                let current = store[key] ?? ""
                let older = previous[key, default: [""]]
                let expected = rng.next(below: 3) > 0 ? current : older[Int(rng.next(below: UInt64(older.count)))]
                planned[index].input = .compareAndSet(key, expected: expected, new: new)
                let matches = current == expected
                if matches {
                    previous[key, default: [""]].append(current)
                    store[key] = new
                }
                outputs[index] = .compareAndSet(succeeded: matches)
            case .append(let key, let suffix):
                store[key, default: ""] += suffix
                outputs[index] = .appended
            case .delete(let key):
                store[key] = nil
                outputs[index] = .deleted
            }
        }

        let ok = planned.indices.map { index in
            let plan = planned[index]
            return StringKVOperation(
                id: OperationID(index), clientID: UInt64(plan.client),
                input: plan.input, invokedAt: plan.start,
                outcome: plan.unknown ? .unknown : .ok(outputs[index]!), completedAt: plan.end)
        }
        return (ok, corrupted(ok, &rng))
    }

    /// Drops the last appended value from a read that began after that append completed:
    /// the store never holds that shorter value again, since values are unique and only grow
    /// until a put or compare-and-set replaces them.
    private func corrupted(_ operations: [StringKVOperation], _ rng: inout SplitMix) -> [StringKVOperation]? {
        var appendEnd: [String: UInt64] = [:]
        for operation in operations {
            if case .append(_, let suffix) = operation.input, case .ok = operation.outcome {
                appendEnd[suffix] = operation.completedAt
            }
        }
        let candidates = operations.indices.filter { index in
            guard case .ok(.read(let value?)) = operations[index].outcome,
                let last = lastToken(of: value), let end = appendEnd[last]
            else { return false }
            return end < operations[index].invokedAt
        }
        guard !candidates.isEmpty else { return futureRead(operations, &rng) }
        var result = operations
        let target = candidates[Int(rng.next(below: UInt64(candidates.count)))]
        guard case .ok(.read(let value?)) = result[target].outcome, let last = lastToken(of: value) else { return nil }
        result[target].outcome = .ok(.read(String(value.dropLast(last.count))))
        return result
    }

    /// Without appends: a read returns a value first written by an operation invoked after the
    /// read completed (values are unique, so nothing could have written it in time).
    private func futureRead(_ operations: [StringKVOperation], _ rng: inout SplitMix) -> [StringKVOperation]? {
        let pairs = operations.indices.flatMap { read -> [(Int, String)] in
            guard case .ok(.read) = operations[read].outcome, let end = operations[read].completedAt else { return [] }
            return operations.compactMap { later in
                guard later.input.key == operations[read].input.key, later.invokedAt > end else { return nil }
                switch later.input {
                case .write(_, let value), .compareAndSet(_, _, let value): return (read, value)
                default: return nil
                }
            }.prefix(1).map { $0 }
        }
        guard !pairs.isEmpty else { return nil }
        let (target, value) = pairs[Int(rng.next(below: UInt64(pairs.count)))]
        var result = operations
        result[target].outcome = .ok(.read(value))
        return result
    }

    /// Values are `x C N y`; a read returns them concatenated.
    private func lastToken(of value: String) -> String? {
        guard let start = value.ranges(of: "x ").last?.lowerBound else { return nil }
        return String(value[start...])
    }
}

/// Seeded, so a generated history is the same on every run: the engine's own generator.
typealias SplitMix = SplitMix64

extension SplitMix64 {
    mutating func next(below bound: UInt64) -> UInt64 {
        next() % bound
    }
}
