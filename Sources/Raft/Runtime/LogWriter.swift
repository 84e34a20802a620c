import CoreMetrics
import DequeModule
import Synchronization

/// Executes a node's log store operations in engine order on a task of its own, so the node
/// loop never waits for storage. Writes are durable in order (the store's contract); reads
/// go through the same queue, so they see every write issued before them.
@usableFromInline final class LogWriter<Store: RaftLogStorage>: Sendable {
    @usableFromInline typealias Types = Store.Types

    @usableFromInline enum Operation: Sendable {
        case write(CommandBatch<Types>.LogWrite, IOID)
        case saveCommitted(LogID)
        case read(ReadID, Range<LogIndex>)
    }

    @usableFromInline let mailbox = Mailbox<Operation>()
    @usableFromInline let store: Store
    @usableFromInline let node: Mailbox<NodeEvent<Types>>
    @usableFromInline let instruments: RaftInstruments?
    /// Set by a flush callback that reported failure: nothing is written after it, since a
    /// later success could then overstate what is durable.
    @usableFromInline let failed = Atomic<Bool>(false)

    @inlinable init(store: Store, node: Mailbox<NodeEvent<Types>>, instruments: RaftInstruments?) {
        self.store = store
        self.node = node
        self.instruments = instruments
    }

    @inlinable nonisolated(nonsending) func run() async {
        while true {
            let operations = await mailbox.takeAll()
            if operations.isEmpty || failed.load(ordering: .acquiring) { return }
            do {
                try await perform(operations)
            } catch {
                node.push(.storageFailed(error))
                mailbox.close()
                return
            }
        }
    }

    /// Performs `operations` in order; called by `run`, or by the node loop itself when the
    /// store never blocks.
    @inlinable nonisolated(nonsending) func perform(_ operations: Deque<Operation>) async throws(StorageError) {
        // Saving the commit point is optional durability: only the newest of the batch is
        // written, after the batch's appends, so it never splits appends into several writes.
        var committed: LogID?
        var position = operations.startIndex
        while position < operations.endIndex {
            if failed.load(ordering: .acquiring) { return }
            switch operations[position] {
            case let .write(.append(entries), io):
                var merged = entries
                var lastIO = io
                var next = position + 1
                while next < operations.endIndex {
                    if case let .write(.append(more), nextIO) = operations[next] {
                        merged.append(contentsOf: more)
                        lastIO = nextIO
                    } else if case .saveCommitted(let newer) = operations[next] {
                        committed = newer
                    } else {
                        break
                    }
                    position = next
                    next += 1
                }
                try await append(merged, io: lastIO)
            case let .write(.saveVote(vote), io):
                try await store.saveVote(vote)
                node.push(.logFlushed(io))
            case let .write(.truncate(after), io):
                try await store.truncate(after: after)
                node.push(.logFlushed(io))
            case let .write(.purge(upTo), io):
                try await store.purge(upTo: upTo)
                node.push(.logFlushed(io))
            case .saveCommitted(let newer):
                committed = newer
            case let .read(id, range):
                let entries = try await store.entries(in: range)
                node.push(.entriesRead(id, entries))
            }
            position += 1
        }
        if let committed { try await store.saveCommitted(committed) }
    }

    @inlinable nonisolated(nonsending) func append(_ entries: [Entry<Types>], io: IOID) async throws(StorageError) {
        let latency = instruments?.logFlushLatency
        let start: ContinuousClock.Instant? = latency == nil ? nil : .now
        try await store.append(entries) { [self] result in
            switch result {
            case .success:
                if let latency, let start { latency.recordNanoseconds(Int64(clamping: start.duration(to: .now).nanosecondsClamped)) }
                node.push(.logFlushed(io))
            case .failure(let error):
                failed.store(true, ordering: .releasing)
                node.push(.storageFailed(error))
            }
        }
    }
}
