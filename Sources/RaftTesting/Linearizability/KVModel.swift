/// A key-value store whose keys are independent registers: the model the replicated KV
/// service is expected to implement.
///
/// Partitions by key, so each key is checked on its own. Values written by a history should
/// be unique per key (for example, tagged with the client and a counter): unique values make
/// anomalies unambiguous, and ``simplify(partition:)`` can then recognize timed-out writes
/// nobody observed and keep them from slowing the search.
///
/// `append` extends a key's value (see ``KVAppendable``: strings, arrays); a read returns the
/// whole value, so a history of appends pins down the order in which they took effect. The
/// value type must conform to ``KVAppendable`` for histories that append; appending to any
/// other value type stops the run, as a recorder bug would.
///
/// Recording a client history (as Jepsen's `:ok`, `:fail` and `:info` do): an answered
/// request is `.ok` with what it returned; a request that definitely did not happen is
/// `.fail`, and is dropped; a timeout, lost connection or crash is `.unknown`, which may take
/// effect at any time after the invocation, or never. A compare-and-set that answered
/// "precondition failed" is `.ok(.compareAndSet(succeeded: false))`: it completed and saw
/// another value. `Sources/RaftTesting/Linearizability/README.md` has the whole mapping, and
/// ``operations(fromJepsen:compareAndSetFailureObservedAnotherValue:)`` applies it.
public struct KVModel<Key: Hashable & Sendable, Value: Hashable & Sendable>: LinearizabilityModel {
    /// A request to the store.
    public enum Input: Hashable, Sendable {
        /// Returns the key's value.
        case read(Key)
        /// Sets the key's value.
        case write(Key, Value)
        /// Sets `new` only if the current value is `expected`; `nil` means "absent".
        case compareAndSet(Key, expected: Value?, new: Value)
        /// Makes the key absent.
        case delete(Key)
        /// Appends to the key's value (an absent key then holds just the appended value).
        case append(Key, Value)

        /// The key the operation touches, which is also its partition.
        public var key: Key {
            switch self {
            case .read(let key), .write(let key, _), .compareAndSet(let key, _, _), .delete(let key),
                .append(let key, _):
                return key
            }
        }
    }

    /// A reply from the store; each input has its own kind of reply.
    public enum Output: Hashable, Sendable {
        /// The value read; `nil` when the key is absent.
        case read(Value?)
        /// The write took effect.
        case written
        /// Whether the current value matched and was replaced.
        case compareAndSet(succeeded: Bool)
        /// The delete took effect.
        case deleted
        /// The append took effect.
        case appended
    }

    /// Values keys hold before the history starts; other keys start absent.
    public var initialValues: [Key: Value]

    /// A store whose keys start with `initialValues`, or absent.
    public init(initialValues: [Key: Value] = [:]) {
        self.initialValues = initialValues
    }

    /// Keys are independent registers, so each is checked on its own.
    public func partition(of input: Input) -> Key {
        input.key
    }

    /// The key's initial value, `nil` meaning absent.
    public func initialState(for partition: Key) -> Value? {
        initialValues[partition]
    }

    /// The register semantics: a read returns the current value, a write or delete replaces
    /// it, a compare-and-set replaces it exactly when it equals `expected`, an append extends
    /// it.
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
        case (.append(_, let suffix), .appended):
            return (true, Self.appending(suffix, to: state))
        default:
            // A reply of the wrong kind cannot come from a correct store.
            return (false, state)
        }
    }

    /// Writes and deletes do not look at the current value.
    public func overwritesState(_ input: Input) -> Bool {
        switch input {
        case .write, .delete: return true
        case .read, .compareAndSet, .append: return false
        }
    }

    /// Reads, and compare-and-sets that did not match, change nothing.
    public func leavesStateUnchanged(_ input: Input, _ output: Output) -> Bool {
        switch (input, output) {
        case (.read, .read), (.compareAndSet, .compareAndSet(succeeded: false)): return true
        default: return false
        }
    }

    /// What an operation whose reply was lost may have done.
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
        case .append(_, let suffix):
            return [Self.appending(suffix, to: state)]
        }
    }

    /// `current` with `suffix` appended; `suffix` alone when the key is absent.
    static func appending(_ suffix: Value, to current: Value?) -> Value {
        guard let appendable = suffix as? any KVAppendable else {
            preconditionFailure("append needs a value type conforming to KVAppendable; \(Value.self) does not")
        }
        return concatenate(appendable, to: current)
    }

    private static func concatenate<Suffix: KVAppendable>(_ suffix: Suffix, to current: Value?) -> Value {
        guard let current else { return suffix as! Value }
        return (current as! Suffix).appending(suffix) as! Value
    }
}

/// A value the key-value model's `append` can extend: the value after the append is
/// `current.appending(suffix)`.
public protocol KVAppendable {
    /// This value followed by `suffix`.
    func appending(_ suffix: Self) -> Self
    /// Whether `part` occurs in this value as one contiguous piece, as an appended value
    /// does until the value is replaced. The history simplification uses it to drop timed-out
    /// writes no read could have seen; answering `true` is always safe.
    func containsPart(_ part: Self) -> Bool
}

/// Strings append by concatenation.
extension String: KVAppendable {
    /// The two strings concatenated.
    public func appending(_ suffix: String) -> String { self + suffix }

    /// Whether `part` is a substring (an empty one always is).
    public func containsPart(_ part: String) -> Bool { part.isEmpty || contains(part) }
}

/// Arrays append by concatenation.
extension Array: KVAppendable where Element: Equatable {
    /// The two arrays concatenated: appending a one-element array appends to a list.
    public func appending(_ suffix: [Element]) -> [Element] { self + suffix }

    /// Whether `part` is a contiguous run of elements (an empty one always is).
    public func containsPart(_ part: [Element]) -> Bool { part.isEmpty || contains(part) }
}

extension KVModel.Input: CustomStringConvertible {
    /// `read(k)`, `write(k, v)`, `cas(k, expected -> new)`, `delete(k)` or `append(k, v)`.
    public var description: String {
        switch self {
        case .read(let key): return "read(\(key))"
        case .write(let key, let value): return "write(\(key), \(value))"
        case .compareAndSet(let key, let expected, let new):
            return "cas(\(key), \(expected.map { "\($0)" } ?? "nil") -> \(new))"
        case .delete(let key): return "delete(\(key))"
        case .append(let key, let value): return "append(\(key), \(value))"
        }
    }
}

extension KVModel.Output: CustomStringConvertible {
    /// The value read (`nil` if absent), `written`, `true`/`false`, `deleted` or `appended`.
    public var description: String {
        switch self {
        case .read(let value): return value.map { "\($0)" } ?? "nil"
        case .written: return "written"
        case .compareAndSet(let succeeded): return succeeded ? "true" : "false"
        case .deleted: return "deleted"
        case .appended: return "appended"
        }
    }
}
