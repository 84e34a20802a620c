/// The sequential specification of an object, against which concurrent histories are checked.
///
/// The checker looks for an order of the operations that respects real time and in which
/// every step is accepted by this specification. The specification must be deterministic in
/// the sense that `step` is a function of its arguments: the checker memoizes on `State`.
public protocol LinearizabilityModel: Sendable {
    /// What a client asks of the object.
    associatedtype Input: Sendable
    /// What the object answers.
    associatedtype Output: Sendable
    /// A value of the object. Hashable because the search remembers which
    /// (linearized operations, state) pairs it has already ruled out.
    associatedtype State: Hashable & Sendable
    /// Names an independent part of the object (a key, for a key-value store).
    associatedtype PartitionKey: Hashable & Sendable = SinglePartition

    /// Which independent part of the object `input` touches.
    ///
    /// Operations in different partitions must never affect each other: checking each
    /// partition alone is then equivalent to checking the whole history (linearizability is
    /// local, Herlihy & Wing), and much cheaper because the search is exponential in the
    /// number of operations it has to interleave.
    func partition(of input: Input) -> PartitionKey

    /// The value a partition holds before any operation.
    func initialState(for partition: PartitionKey) -> State

    /// Applies `input` to `state` and says whether the specification allows it to return
    /// `output`, together with the resulting state.
    func step(_ state: State, _ input: Input, _ output: Output) -> (ok: Bool, newState: State)

    /// Every state `input` can leave behind when it takes effect on `state` but nobody saw
    /// its output, because its outcome is `.unknown`.
    ///
    /// The checker separately considers the operation never taking effect, so this need not
    /// include `state` itself for operations that may fail. Return an empty array when the
    /// operation cannot take effect on `state` at all.
    func statesAfterUnobservedStep(_ state: State, _ input: Input) -> [State]

    /// Whether `input` ignores the state it is applied to, as a plain write does: whether
    /// ``step(_:_:_:)`` accepts it, the state it leaves, and the states
    /// ``statesAfterUnobservedStep(_:_:)`` returns for it are the same from every state.
    ///
    /// The checker then never places an unknown operation directly before such an operation,
    /// because nothing could observe the unknown one's effect, and treats unknown ones with
    /// the same result as interchangeable; that keeps timed-out writes from multiplying the
    /// search. Answering `true` wrongly can make the checker reject linearizable histories.
    /// The default, `false`, is always safe.
    func overwritesState(_ input: Input) -> Bool

    /// Whether an operation that returned `output` leaves every state that accepts it
    /// unchanged, as a read does, or a compare-and-set that answered "no match": whenever
    /// ``step(_:_:_:)`` accepts it, the new state equals the old.
    ///
    /// The checker then linearizes such an operation as soon as it is a candidate and is
    /// accepted, without trying other orders, which makes read-heavy histories cheap.
    /// Answering `true` wrongly can make the checker reject linearizable histories. The
    /// default, `false`, is always safe.
    func leavesStateUnchanged(_ input: Input, _ output: Output) -> Bool

    /// An equivalent, cheaper history for one partition.
    ///
    /// Every unknown operation multiplies the search, because it may be placed anywhere after
    /// its invocation or nowhere. A model that can prove some of them irrelevant (a read
    /// whose result nobody saw, a write whose value nobody ever read) can drop them, and it
    /// may rewrite inputs so that operations the rest of the history cannot tell apart
    /// become identical, which lets the search treat them as interchangeable.
    ///
    /// `operations` belong to one partition, are sorted by invocation and include no
    /// `.fail` ones. The result must be linearizable exactly when `operations` is, and its
    /// operations must keep their ids and intervals. Reports still show the operations
    /// as recorded. The default returns `operations` unchanged, which is always correct.
    func simplify(partition operations: [HistoryOperation<Input, Output>]) -> [HistoryOperation<Input, Output>]
}

/// The partition key of a model whose history cannot be split.
public enum SinglePartition: Hashable, Sendable {
    /// The whole history.
    case whole
}

extension LinearizabilityModel where PartitionKey == SinglePartition {
    /// Everything is one partition.
    public func partition(of input: Input) -> SinglePartition { .whole }
}

extension LinearizabilityModel {
    /// No operation is assumed to ignore the state.
    public func overwritesState(_ input: Input) -> Bool {
        false
    }

    /// No operation is assumed to only read.
    public func leavesStateUnchanged(_ input: Input, _ output: Output) -> Bool {
        false
    }

    /// The history as recorded.
    public func simplify(
        partition operations: [HistoryOperation<Input, Output>]
    ) -> [HistoryOperation<Input, Output>] {
        operations
    }
}
