extension KVModel {
    /// Drops unknown operations nobody could have observed and renames values nobody
    /// observed to a single one.
    ///
    /// A value is *observed* if a successful read returned it, a compare-and-set expected
    /// it, or it is the key's initial value. Whether any operation is accepted depends on
    /// the current value only through comparisons with observed values (and absence), so:
    ///
    /// - Renaming every unobserved written value to one of them changes no verdict, and makes
    ///   timed-out writes of such values identical, which the search then tries only once
    ///   instead of once each.
    /// - An unknown read has no effect and no output, so it is dropped.
    /// - An unknown write or compare-and-set of an unobserved value is dropped unless an
    ///   acknowledged compare-and-set failed after it was invoked: in any linearization, the
    ///   operations that see its value before the next overwrite can only be compare-and-sets
    ///   that fail, and removing the write would flip an acknowledged one. (Unknown ones that
    ///   failed there can be dropped with it.)
    ///
    /// Deletes are never dropped: absence is observed by any read that returns `nil`.
    ///
    /// In a partition with appends, a read observes a concatenation, so a value no read
    /// returned whole may still be part of one, and nothing is renamed. An unknown write,
    /// append or compare-and-set is dropped when no observed value contains the value it
    /// writes (``KVAppendable/containsPart(_:)``), under the same exception for failed
    /// compare-and-sets: once it took effect, every value until the next overwrite contains
    /// it, so no read can fall there, a compare-and-set there fails (one that matched would
    /// have expected a value containing it), and the values it leaves are all replaced by a
    /// write or delete before anyone looks.
    public func simplify(
        partition operations: [HistoryOperation<Input, Output>]
    ) -> [HistoryOperation<Input, Output>] {
        let appends = operations.contains { operation in
            if case .append = operation.input { return true }
            return false
        }
        if appends {
            return simplify(partitionWithAppends: operations)
        }
        var observed = Set<Value>()
        var latestFailedCompareAndSet: UInt64?
        for operation in operations {
            if let initial = initialValues[operation.input.key] { observed.insert(initial) }
            switch operation.input {
            case .compareAndSet(_, let expected?, _):
                observed.insert(expected)
            default:
                break
            }
            switch operation.outcome {
            case .ok(.read(let value?)):
                observed.insert(value)
            case .ok(.compareAndSet(succeeded: false)):
                if let end = operation.completedAt {
                    latestFailedCompareAndSet = max(latestFailedCompareAndSet ?? end, end)
                }
            default:
                break
            }
        }

        func unobservedValue(writtenBy input: Input) -> Value? {
            switch input {
            case .write(_, let value), .compareAndSet(_, _, let value):
                return observed.contains(value) ? nil : value
            case .read, .delete, .append:
                return nil
            }
        }
        let placeholder = operations.lazy.compactMap { unobservedValue(writtenBy: $0.input) }.first

        var simplified: [HistoryOperation<Input, Output>] = []
        simplified.reserveCapacity(operations.count)
        for var operation in operations {
            let unobserved = unobservedValue(writtenBy: operation.input)
            if case .unknown = operation.outcome {
                if case .read = operation.input { continue }
                let failedCompareAndSetLater = latestFailedCompareAndSet.map { $0 >= operation.invokedAt } ?? false
                if unobserved != nil, !failedCompareAndSetLater { continue }
            }
            if unobserved != nil, let placeholder {
                switch operation.input {
                case .write(let key, _):
                    operation.input = .write(key, placeholder)
                case .compareAndSet(let key, let expected, _):
                    operation.input = .compareAndSet(key, expected: expected, new: placeholder)
                case .read, .delete, .append:
                    break
                }
            }
            simplified.append(operation)
        }
        return simplified
    }

    private func simplify(
        partitionWithAppends operations: [HistoryOperation<Input, Output>]
    ) -> [HistoryOperation<Input, Output>] {
        var observed: [Value] = []
        var latestFailedCompareAndSet: UInt64?
        if let key = operations.first?.input.key, let initial = initialValues[key] { observed.append(initial) }
        for operation in operations {
            if case .compareAndSet(_, let expected?, _) = operation.input { observed.append(expected) }
            switch operation.outcome {
            case .ok(.read(let value?)):
                observed.append(value)
            case .ok(.compareAndSet(succeeded: false)):
                if let end = operation.completedAt {
                    latestFailedCompareAndSet = max(latestFailedCompareAndSet ?? end, end)
                }
            default:
                break
            }
        }
        func mayBeObserved(_ written: Value) -> Bool {
            observed.contains { Self.value($0, containsPart: written) }
        }
        return operations.filter { operation in
            guard case .unknown = operation.outcome else { return true }
            let written: Value
            switch operation.input {
            case .read: return false
            case .delete: return true
            case .write(_, let value), .append(_, let value), .compareAndSet(_, _, let value): written = value
            }
            let failedCompareAndSetLater = latestFailedCompareAndSet.map { $0 >= operation.invokedAt } ?? false
            return failedCompareAndSetLater || mayBeObserved(written)
        }
    }

    /// Whether `part` occurs in `value`; `true` for values that cannot tell, which keeps
    /// the operation.
    private static func value(_ value: Value, containsPart part: Value) -> Bool {
        guard let appendable = value as? any KVAppendable else { return true }
        return contains(appendable, part)
    }

    private static func contains<Whole: KVAppendable>(_ whole: Whole, _ part: Value) -> Bool {
        guard let part = part as? Whole else { return true }
        return whole.containsPart(part)
    }
}
