import DequeModule

/// Runs the state machine on a task of its own, in engine order, so a slow apply never
/// delays heartbeats or votes.
final class StateMachineWorker<Types: RaftTypeConfig>: Sendable {
    enum Operation: Sendable {
        case apply([Entry<Types>])
        case buildSnapshot
        case install(Snapshot<Types>)
    }

    let mailbox = Mailbox<Operation>()
    private let stateMachine: any RaftStateMachine<Types>
    private let node: Mailbox<NodeEvent<Types>>
    private let instruments: RaftInstruments?

    init(stateMachine: any RaftStateMachine<Types>, node: Mailbox<NodeEvent<Types>>, instruments: RaftInstruments?) {
        self.stateMachine = stateMachine
        self.node = node
        self.instruments = instruments
    }

    func run() async {
        while true {
            let operations = await mailbox.takeAll()
            if operations.isEmpty { return }
            for operation in operations {
                do {
                    try await perform(operation)
                } catch {
                    node.push(.storageFailed(error))
                    mailbox.close()
                    return
                }
            }
        }
    }

    private func perform(_ operation: Operation) async throws(StorageError) {
        switch operation {
        case .apply(let entries):
            let start: ContinuousClock.Instant? = instruments == nil ? nil : .now
            let responses = try await stateMachine.apply(entries)
            if let instruments, let start {
                instruments.applyLatency.recordNanoseconds(Int64(clamping: start.duration(to: .now).nanosecondsClamped))
            }
            node.push(.applied(entries: entries, responses: responses))
        case .buildSnapshot:
            do {
                let snapshot = try await stateMachine.buildSnapshot()
                node.push(.snapshotBuilt(snapshot.meta))
            } catch {
                // A failed build is not fatal: the policy will ask again (field lesson 25).
                node.push(.snapshotBuildFailed)
            }
        case .install(let snapshot):
            try await stateMachine.installSnapshot(snapshot)
            node.push(.snapshotInstalled(snapshot.meta))
        }
    }
}
