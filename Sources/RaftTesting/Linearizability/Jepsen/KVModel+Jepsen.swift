extension KVModel where Key == String, Value == String {
    /// The operations of a Jepsen history of a key-value store or of a single register, in
    /// this model's terms (see `Linearizability/README.md` for why each rule is what it is):
    ///
    /// - `read`/`get` reads, `write`/`put` writes, `cas` with `[expected new]` is a
    ///   compare-and-set, `append` appends.
    /// - The key is the `:key` (a string, or an integer as decimal text); a history without
    ///   keys is one register, the key `""`. Values are strings, integers as decimal text; a
    ///   read of `nil` saw the key absent.
    /// - `:ok` is a completed operation with its output. `:fail` definitely did not happen, so
    ///   the checker drops it; except that a `cas` that failed completed and observed a value
    ///   other than the expected one, when `compareAndSetFailureObservedAnotherValue` (Jepsen's
    ///   register tests report a compare that did not match as `:fail`). Pass `false` for a
    ///   test whose failed cas may also mean an error before the compare: dropping is always
    ///   sound, only weaker.
    /// - `:info`, and an invocation the history never completes, may have taken effect at any
    ///   time after the invocation, or never: unknown.
    ///
    /// Kept in order of invocation; ids are positions in that order.
    public static func operations(
        fromJepsen history: JepsenHistory,
        compareAndSetFailureObservedAnotherValue: Bool = true
    ) throws(JepsenHistoryError) -> [HistoryOperation<Input, Output>] {
        var result: [HistoryOperation<Input, Output>] = []
        result.reserveCapacity(history.operations.count)
        for operation in history.operations {
            func fail(_ reason: String) -> JepsenHistoryError {
                JepsenHistoryError(
                    line: Int(operation.invokedAt),
                    text: ":\(operation.function) \(operation.invocationValue)", reason: reason)
            }
            let key: String
            switch operation.key {
            case nil: key = ""
            case .string(let name)?: key = name
            case .integer(let number)?: key = String(number)
            default: throw fail("the key is neither a string nor an integer")
            }
            func text(_ value: JepsenValue) throws(JepsenHistoryError) -> String {
                switch value {
                case .string(let string): return string
                case .integer(let number): return String(number)
                default: throw fail("the value \(value) is neither a string nor an integer")
                }
            }

            let input: Input
            let output: Output
            var failureCompleted = false
            switch operation.function {
            case "read", "get":
                input = .read(key)
                switch operation.completionValue {
                case .none?, nil: output = .read(nil)
                case let value?: output = .read(operation.completion == .ok ? try text(value) : nil)
                }
            case "write", "put":
                input = .write(key, try text(operation.invocationValue))
                output = .written
            case "append":
                input = .append(key, try text(operation.invocationValue))
                output = .appended
            case "cas":
                guard case .vector(let pair) = operation.invocationValue, pair.count == 2 else {
                    throw fail("a cas needs [expected new]")
                }
                let expected: String? = pair[0] == .none ? nil : try text(pair[0])
                input = .compareAndSet(key, expected: expected, new: try text(pair[1]))
                output = .compareAndSet(succeeded: operation.completion == .ok)
                failureCompleted = compareAndSetFailureObservedAnotherValue
            default:
                throw fail("unknown function :\(operation.function)")
            }

            let outcome: OperationOutcome<Output>
            switch operation.completion {
            case .ok: outcome = .ok(output)
            case .fail: outcome = failureCompleted ? .ok(output) : .fail
            case .info, .pending: outcome = .unknown
            }
            result.append(
                HistoryOperation(
                    id: OperationID(result.count), clientID: UInt64(max(0, operation.process)), input: input,
                    invokedAt: operation.invokedAt, outcome: outcome, completedAt: operation.completedAt))
        }
        return result
    }
}
