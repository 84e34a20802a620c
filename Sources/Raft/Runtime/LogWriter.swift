import DequeModule

/// Executes a node's log store operations in engine order on a task of its own, so the node
/// loop never waits for storage. Writes are durable in order (the store's contract); reads
/// go through the same queue, so they see every write issued before them.
final class LogWriter<Types: RaftTypeConfig>: Sendable {
    enum Operation: Sendable {
        case write(CommandBatch<Types>.LogWrite, IOID)
        case saveCommitted(LogID)
        case read(ReadID, Range<LogIndex>)
    }

    let mailbox = Mailbox<Operation>()
    private let store: any RaftLogStorage<Types>
    private let node: Mailbox<NodeEvent<Types>>

    init(store: any RaftLogStorage<Types>, node: Mailbox<NodeEvent<Types>>) {
        self.store = store
        self.node = node
    }

    func run() async {
        while true {
            let operations = await mailbox.takeAll()
            if operations.isEmpty { return }
            do {
                try await perform(operations)
            } catch {
                node.push(.storageFailed(error))
                mailbox.close()
                return
            }
        }
    }

    private func perform(_ operations: Deque<Operation>) async throws(StorageError) {
        var position = operations.startIndex
        while position < operations.endIndex {
            switch operations[position] {
            case let .write(.append(entries), io):
                // Consecutive appends of several loop turns go to storage as one write.
                var merged = entries
                var lastIO = io
                while position + 1 < operations.endIndex, case let .write(.append(more), nextIO) = operations[position + 1] {
                    merged.append(contentsOf: more)
                    lastIO = nextIO
                    position += 1
                }
                let node = self.node
                let flushedIO = lastIO
                try await store.append(merged) { result in
                    switch result {
                    case .success: node.push(.logFlushed(flushedIO))
                    case .failure(let error): node.push(.storageFailed(error))
                    }
                }
            case let .write(.saveVote(vote), io):
                try await store.saveVote(vote)
                node.push(.logFlushed(io))
            case let .write(.truncate(after), io):
                try await store.truncate(after: after)
                node.push(.logFlushed(io))
            case let .write(.purge(upTo), io):
                try await store.purge(upTo: upTo)
                node.push(.logFlushed(io))
            case .saveCommitted(let committed):
                try await store.saveCommitted(committed)
            case let .read(id, range):
                let entries = try await store.entries(in: range)
                node.push(.entriesRead(id, entries))
            }
            position += 1
        }
    }
}
