/// Records the operations of concurrent clients as they are invoked and completed.
///
/// A simulator calls ``invoke(client:input:at:)`` just before handing a request to the
/// cluster and ``complete(_:outcome:at:)`` when the client learns its fate. Operations still
/// open when the history is checked count as `.unknown`: the cluster may have applied them.
public struct History<Input, Output> {
    /// Every operation recorded so far, in invocation order.
    public private(set) var operations: [HistoryOperation<Input, Output>]

    /// An empty history.
    public init() {
        self.operations = []
    }

    /// Wraps operations recorded elsewhere (for example, decoded from a log file).
    public init(operations: [HistoryOperation<Input, Output>]) {
        self.operations = operations
    }

    /// Records that `client` issued `input` at `time`; the returned id completes it later.
    @discardableResult
    public mutating func invoke(client: UInt64, input: Input, at time: UInt64) -> OperationID {
        let id = OperationID(operations.count)
        operations.append(
            HistoryOperation(
                id: id, clientID: client, input: input,
                invokedAt: time, outcome: .unknown, completedAt: nil))
        return id
    }

    /// Records how the operation `id` ended.
    ///
    /// - Precondition: `id` came from ``invoke(client:input:at:)`` on this history, was not
    ///   completed before, and `time` is not earlier than its invocation. Breaking these is a
    ///   bug in the recorder, not in the system under test, so it stops the run.
    public mutating func complete(_ id: OperationID, outcome: OperationOutcome<Output>, at time: UInt64) {
        precondition(operations.indices.contains(id.rawValue), "unknown operation \(id)")
        let open = operations[id.rawValue]
        precondition(open.completedAt == nil, "operation \(id) completed twice")
        operations[id.rawValue] = HistoryOperation(
            id: id, clientID: open.clientID, input: open.input,
            invokedAt: open.invokedAt, outcome: outcome, completedAt: time)
    }
}

extension History: Sendable where Input: Sendable, Output: Sendable {}
