/// The commands of one engine step, sorted by who executes them, each list in engine order.
///
/// The simulator executes steps through this type, and the runtime's node loop executes them
/// in the same order (without building one, to save its allocations), so both follow the
/// same rules: log I/O in order on the log store; messages sent at once (the engine holds
/// back those that must wait for durability); state-machine work in order; replies at once.
public struct CommandBatch<T: RaftTypeConfig>: Sendable {
    /// A write to the log store.
    public enum LogWrite: Sendable {
        /// Save the vote.
        case saveVote(Vote)
        /// Append entries.
        case append([Entry<T>])
        /// Delete every entry after the id (all when nil).
        case truncate(after: LogID?)
        /// Delete every entry up to the id.
        case purge(upTo: LogID)
    }

    /// Work for the state machine.
    public enum StateMachineWork: Sendable {
        /// Apply committed entries.
        case apply([Entry<T>])
        /// Build a snapshot.
        case buildSnapshot
        /// Install the received snapshot.
        case installSnapshot(SnapshotMeta<T>)
    }

    /// Log writes with the I/O id to report once each is durable.
    public var logWrites: [(write: LogWrite, io: IOID)] = []
    /// The newest commit point to save, if it changed.
    public var committed: LogID?
    /// Messages to deliver, in order.
    public var messages: [(to: NodeID, message: RaftMessage<T>)] = []
    /// Snapshots to stream to peers.
    public var snapshotTransfers: [(to: NodeID, request: InstallSnapshotRequest<T>)] = []
    /// Log ranges to read back from the store.
    public var reads: [(id: ReadID, range: Range<LogIndex>)] = []
    /// State-machine work, in order.
    public var stateMachineWork: [StateMachineWork] = []
    /// Answers to requests made with tokens.
    public var replies: [(token: RequestToken, reply: EngineReply)] = []
    /// Events to log or count.
    public var events: [EngineEvent] = []

    /// Sorts one step's commands.
    @inlinable public init(_ commands: [EngineCommand<T>]) {
        for command in commands {
            switch command {
            case let .saveVote(vote, io): logWrites.append((.saveVote(vote), io))
            case let .appendEntries(entries, io): logWrites.append((.append(entries), io))
            case let .truncateLog(after, io): logWrites.append((.truncate(after: after), io))
            case let .purgeLog(upTo, io): logWrites.append((.purge(upTo: upTo), io))
            case .saveCommitted(let logID): committed = logID
            case let .send(to, message): messages.append((to, message))
            case let .sendSnapshot(to, request): snapshotTransfers.append((to, request))
            case let .readEntries(id, range): reads.append((id, range))
            case .apply(let entries): stateMachineWork.append(.apply(entries))
            case .buildSnapshot: stateMachineWork.append(.buildSnapshot)
            case .installSnapshot(let meta): stateMachineWork.append(.installSnapshot(meta))
            case let .reply(token, reply): replies.append((token, reply))
            case .event(let event): events.append(event)
            }
        }
    }

    /// Whether the step produced nothing.
    @inlinable public var isEmpty: Bool {
        logWrites.isEmpty && committed == nil && messages.isEmpty && snapshotTransfers.isEmpty && reads.isEmpty
            && stateMachineWork.isEmpty && replies.isEmpty && events.isEmpty
    }
}
