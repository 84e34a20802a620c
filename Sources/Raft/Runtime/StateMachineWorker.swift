import CoreMetrics
import DequeModule

/// Runs the state machine on a task of its own, in engine order, so a slow apply never
/// delays heartbeats or votes. It also answers the writes whose entries it applied.
@usableFromInline final class StateMachineWorker<Machine: RaftStateMachine>: Sendable {
    @usableFromInline typealias Types = Machine.Types

    @usableFromInline enum Operation: Sendable {
        /// Entries to apply, and the writes waiting for them (ascending, none beyond the last).
        case apply([Entry<Types>], writes: [PendingWrite<Types>])
        case buildSnapshot
        case install(Snapshot<Types>)
    }

    @usableFromInline let mailbox = Mailbox<Operation>()
    @usableFromInline let stateMachine: Machine
    @usableFromInline let node: Mailbox<NodeEvent<Types>>
    @usableFromInline let instruments: RaftInstruments?

    @inlinable init(stateMachine: Machine, node: Mailbox<NodeEvent<Types>>, instruments: RaftInstruments?) {
        self.stateMachine = stateMachine
        self.node = node
        self.instruments = instruments
    }

    @inlinable nonisolated(nonsending) func run() async {
        while true {
            let operations = await mailbox.takeAll()
            if operations.isEmpty { return }
            for (position, operation) in operations.enumerated() {
                do {
                    try await perform(operation)
                } catch {
                    node.push(.storageFailed(error))
                    mailbox.close()
                    // Nothing after a fatal error is applied here.
                    let unapplied = operations.dropFirst(position) + (mailbox.takeNow() ?? [])
                    for case let .apply(_, writes) in unapplied {
                        // Committed entries: the cluster applies them even though this node stops.
                        for write in writes { write.responder.resolve(.failure(.outcomeUnknown(.storageFailed(error)))) }
                    }
                    return
                }
            }
        }
    }

    @inlinable nonisolated(nonsending) func perform(_ operation: Operation) async throws(StorageError) {
        switch operation {
        case let .apply(entries, writes):
            let start: ContinuousClock.Instant? = instruments == nil ? nil : .now
            let responses = try await stateMachine.apply(entries)
            if let instruments, let start {
                instruments.applyLatency.recordNanoseconds(Int64(clamping: start.duration(to: .now).nanosecondsClamped))
            }
            PendingWrite.resolve(writes, applied: entries, responses: responses, instruments: instruments)
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
