import Raft
import RaftCore
@testable import RaftFileStore
import Synchronization

/// A deterministic sequence of log operations, run against a store on a simulated disk, with
/// a model of every state the log passes through and a record of what the store acknowledged.
struct ScriptedWorkload {
    enum Step {
        /// Append calls of these sizes issued while the writer is held, so they form one group.
        /// `committed` is saved inside the same group.
        case appendGroup([Int], committed: LogID? = nil)
        case truncate(after: LogIndex?)
        case purge(upTo: LogIndex)
        case vote(Vote)
        /// Later entries are written by this leader.
        case leader(term: Term, node: NodeID)
    }

    /// The log after some prefix of the operations.
    struct ModelLog: Equatable {
        var purged: LogID?
        var entries: [LogID] = []
        var last: LogID?
    }

    let directory = "/data/log"
    let options: FileLogStoreOptions
    let steps: [Step]

    static let standard = ScriptedWorkload(segmentSizeBytes: 700, steps: [
        .appendGroup([3, 1, 5]),
        .vote(Vote(term: 1, votedFor: 1, committed: true)),
        .appendGroup([1], committed: LogID(term: 1, nodeID: 1, index: 4)),
        .appendGroup([2, 2, 2, 2]),
        .truncate(after: 12),
        .leader(term: 2, node: 2),
        .vote(Vote(term: 2, votedFor: 2, committed: true)),
        .appendGroup([4, 7], committed: LogID(term: 1, nodeID: 1, index: 12)),
        .purge(upTo: 9),
        .appendGroup([1, 1, 1]),
        .truncate(after: 20),
        .appendGroup([6]),
        .purge(upTo: 30),
        .leader(term: 3, node: 1),
        .appendGroup([2, 3], committed: LogID(term: 2, nodeID: 2, index: 26)),
        .purge(upTo: 33),
        .truncate(after: 33),
        .appendGroup([5]),
    ])

    init(segmentSizeBytes: Int, steps: [Step]) {
        var options = FileLogStoreOptions()
        options.segmentSizeBytes = segmentSizeBytes
        options.cacheMaxEntries = 4
        self.options = options
        self.steps = steps
    }

    /// Every state the log passes through, one per entry appended, truncation or purge.
    func modelStates() -> [ModelLog] {
        var states = [ModelLog()]
        var log = ModelLog()
        var term: Term = 1
        var node: NodeID = 1
        for step in steps {
            switch step {
            case .appendGroup(let sizes, _):
                for _ in 0..<sizes.reduce(0, +) {
                    let id = LogID(term: term, nodeID: node, index: log.last.indexOrZero + 1)
                    log.entries.append(id)
                    log.last = id
                    states.append(log)
                }
            case .truncate(let index):
                let keep = index ?? 0
                log.entries.removeAll { $0.index > keep }
                log.last = keep == log.purged.indexOrZero ? log.purged : log.entries.last
                states.append(log)
            case .purge(let index):
                let id = logID(at: index, in: log, term: term, node: node)
                log.entries.removeAll { $0.index <= index }
                if index >= log.last.indexOrZero { log.last = id }
                log.purged = id
                states.append(log)
            case .vote:
                break
            case let .leader(newTerm, newNode):
                term = newTerm
                node = newNode
            }
        }
        return states
    }

    /// The id at `index`, or (past the end) the id a snapshot would name.
    private func logID(at index: LogIndex, in log: ModelLog, term: Term, node: NodeID) -> LogID {
        log.entries.first { $0.index == index } ?? LogID(term: term, nodeID: node, index: index)
    }

    static func entry(_ id: LogID) -> Entry<KVTypes> {
        Entry(logID: id, payload: .command(.put(key: "k\(id.index)", value: "v\(id.index)-t\(id.term)-n\(id.leaderID.nodeID)")))
    }

    // MARK: Running

    /// What the store acknowledged before it stopped.
    struct Outcome {
        /// The model state that every acknowledged operation had reached.
        var acknowledged = 0
        /// The last model state issued to the store.
        var issued = 0
        var acknowledgedVote: Vote?
        var voteInFlight: Vote?
        var committedSaved: [LogID?] = [nil]
        var failed = false
    }

    func run(on fileSystem: SimulatedFileSystem) async throws -> Outcome {
        let store = try FileLogStore<KVTypes>(directory: directory, options: options, fileSystem: fileSystem)
        let states = modelStates()
        var outcome = Outcome()
        var state = 0
        steps: for step in steps {
            do {
                switch step {
                case let .appendGroup(sizes, committed):
                    let acks = AckRecorder()
                    store.suspendWriter()
                    if let committed {
                        try await store.saveCommitted(committed)
                        outcome.committedSaved.append(committed)
                    }
                    for size in sizes {
                        let ids = (1...size).map { states[state + $0].last! }
                        state += size
                        outcome.issued = state
                        let reached = state
                        try await store.append(ids.map(Self.entry), onDurable: { acks.record($0, reached: reached) })
                    }
                    store.resumeWriter()
                    await acks.wait(forCount: sizes.count)
                    outcome.acknowledged = max(outcome.acknowledged, acks.reached)
                    if acks.failed { throw StorageError(subject: .logState, verb: .write, reason: "append failed") }
                case .truncate(let index):
                    state += 1
                    outcome.issued = state
                    try await store.truncate(after: index.map { index in states[state - 1].entries.first { $0.index == index } ?? states[state - 1].purged! })
                    outcome.acknowledged = state
                case .purge:
                    state += 1
                    outcome.issued = state
                    try await store.purge(upTo: states[state].purged!)
                    outcome.acknowledged = state
                case .vote(let vote):
                    outcome.voteInFlight = vote
                    try await store.saveVote(vote)
                    outcome.acknowledgedVote = vote
                    outcome.voteInFlight = nil
                case .leader:
                    break
                }
            } catch {
                outcome.failed = true
                break steps
            }
        }
        await store.close()
        return outcome
    }
}

/// Collects flush callbacks of one group.
final class AckRecorder: Sendable {
    private let state = Mutex<(count: Int, reached: Int, failed: Bool)>((0, 0, false))

    func record(_ result: Result<Void, StorageError>, reached: Int) {
        state.withLock { state in
            state.count += 1
            switch result {
            case .success: state.reached = max(state.reached, reached)
            case .failure: state.failed = true
            }
        }
    }

    var reached: Int { state.withLock { $0.reached } }
    var failed: Bool { state.withLock { $0.failed } }

    func wait(forCount count: Int) async {
        while state.withLock({ $0.count }) < count {
            try? await Task.sleep(for: .microseconds(200))
        }
    }
}
