/// A key-value store whose keys are independent registers: the model the replicated KV
/// service is expected to implement.
///
/// Partitions by key, so each key is checked on its own. Values written by a history should
/// be unique per key (for example, tagged with the client and a counter): unique values make
/// anomalies unambiguous, and ``simplify(partition:)`` can then recognize timed-out writes
/// nobody observed and keep them from slowing the search.
public struct KVModel<Key: Hashable & Sendable, Value: Hashable & Sendable>: LinearizabilityModel {
    /// A request to the store.
    public enum Input: Hashable, Sendable {
        case read(Key)
        case write(Key, Value)
        /// Sets `new` only if the current value is `expected`; `nil` means "absent".
        case compareAndSet(Key, expected: Value?, new: Value)
        case delete(Key)

        public var key: Key {
            switch self {
            case .read(let key), .write(let key, _), .compareAndSet(let key, _, _), .delete(let key):
                return key
            }
        }
    }

    /// A reply from the store; each input has its own kind of reply.
    public enum Output: Hashable, Sendable {
        /// The value read; `nil` when the key is absent.
        case read(Value?)
        case written
        case compareAndSet(succeeded: Bool)
        case deleted
    }

    /// Values keys hold before the history starts; other keys start absent.
    public var initialValues: [Key: Value]

    public init(initialValues: [Key: Value] = [:]) {
        self.initialValues = initialValues
    }

    public func partition(of input: Input) -> Key {
        input.key
    }

    public func initialState(for partition: Key) -> Value? {
        initialValues[partition]
    }

    public func step(_ state: Value?, _ input: Input, _ output: Output) -> (ok: Bool, newState: Value?) {
        switch (input, output) {
        case (.read, .read(let value)):
            return (value == state, state)
        case (.write(_, let value), .written):
            return (true, value)
        case (.compareAndSet(_, let expected, let new), .compareAndSet(let succeeded)):
            let matches = state == expected
            return (matches == succeeded, matches ? new : state)
        case (.delete, .deleted):
            return (true, nil)
        default:
            // A reply of the wrong kind cannot come from a correct store.
            return (false, state)
        }
    }

    public func overwritesState(_ input: Input) -> Bool {
        switch input {
        case .write, .delete: return true
        case .read, .compareAndSet: return false
        }
    }

    public func statesAfterUnobservedStep(_ state: Value?, _ input: Input) -> [Value?] {
        switch input {
        case .read:
            return [state]
        case .write(_, let value):
            return [value]
        case .compareAndSet(_, let expected, let new):
            // A compare-and-set that does not match changes nothing, which the search
            // already covers by not linearizing it at all.
            return state == expected ? [new] : []
        case .delete:
            return [nil]
        }
    }
}

extension KVModel.Input: CustomStringConvertible {
    public var description: String {
        switch self {
        case .read(let key): return "read(\(key))"
        case .write(let key, let value): return "write(\(key), \(value))"
        case .compareAndSet(let key, let expected, let new):
            return "cas(\(key), \(expected.map { "\($0)" } ?? "nil") -> \(new))"
        case .delete(let key): return "delete(\(key))"
        }
    }
}

extension KVModel.Output: CustomStringConvertible {
    public var description: String {
        switch self {
        case .read(let value): return value.map { "\($0)" } ?? "nil"
        case .written: return "written"
        case .compareAndSet(let succeeded): return succeeded ? "true" : "false"
        case .deleted: return "deleted"
        }
    }
}
