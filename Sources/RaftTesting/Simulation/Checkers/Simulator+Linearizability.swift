/// The client history's check, run once at the end of a run with the linearizability
/// checker of this module (per-key partitions of a key-value model).
extension Simulator {
    typealias Model = KVModel<Int, Int>

    func checkLinearizability() {
        // One partition at a time on this thread, with no time limit: a run stays
        // single-threaded and its verdict and report depend only on the seed.
        let checker = LinearizabilityChecker(model: Model(), parallelism: 1)
        switch checker.check(linearizabilityHistory()).verdict {
        case .linearizable:
            break
        case .notLinearizable(let violation):
            fail("linearizability", violation.description)
        case .unknown(let partitions, _):
            // Not a verdict either way: reported, never counted as a pass of the property.
            stats.linearizabilityTimeouts += partitions.count
            trace.record("linearizability check ran out of budget on keys \(partitions)")
        }
    }

    /// The recorded operations in the checker's terms.
    func linearizabilityHistory() -> [HistoryOperation<Model.Input, Model.Output>] {
        history.enumerated().map { position, operation in
            let input: Model.Input
            switch operation.request {
            case .read(let key): input = .read(key)
            case let .write(key, value): input = .write(key, value)
            case let .compareAndSet(key, expected, new): input = .compareAndSet(key, expected: expected, new: new)
            }
            let outcome: OperationOutcome<Model.Output>
            switch operation.outcome {
            case .ok(.read(let value)): outcome = .ok(.read(value))
            case .ok(.written): outcome = .ok(.written)
            case .ok(.compareAndSet(let succeeded)): outcome = .ok(.compareAndSet(succeeded: succeeded))
            case .fail: outcome = .fail
            case .unknown: outcome = .unknown
            }
            return HistoryOperation(
                id: OperationID(position), clientID: UInt64(operation.client), input: input,
                invokedAt: operation.invokedAt, outcome: outcome, completedAt: operation.completedAt)
        }
    }
}
