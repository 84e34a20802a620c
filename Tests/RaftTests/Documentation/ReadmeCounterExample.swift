// README-EXAMPLE-BEGIN
import Raft
import RaftTesting  // InProcessRouter: the three nodes of this example share one process
import Synchronization

/// The application's types: what a command is, what the state machine answers, and how a
/// node is addressed (the address travels in membership entries).
enum CounterTypes: RaftTypeConfig {
    typealias Command = AddCommand
    typealias Response = CounterResponse
    typealias NodeAddress = String
}

/// Adds `amount` to the counter. Adding is not idempotent, so every command carries its
/// client's id and a sequence number: the state machine applies each request once, however
/// often the client retries it.
struct AddCommand: Codable, Hashable, Sendable {
    var client: UInt64
    var sequence: UInt64
    var amount: Int
}

enum CounterResponse: Codable, Hashable, Sendable {
    /// The counter after the addition.
    case total(Int)
    /// The request is older than what the state machine remembers of its client.
    case requestExpired
}

/// The replicated state. Besides its data, `apply` tracks the last applied entry and the last
/// membership: the node reads them back at restart (`appliedState`), and snapshots carry them.
final class CounterStateMachine: RaftStateMachine {
    typealias Types = CounterTypes

    private struct State: Codable {
        var total = 0
        var sessions = ClientSessions<CounterResponse>()
        var lastApplied: LogID?
        var membership = StoredMembership<CounterTypes>.empty
    }

    private let state = Mutex(State())
    private let latestSnapshot = Mutex<Snapshot<CounterTypes>?>(nil)

    var total: Int { state.withLock { $0.total } }

    func appliedState() async throws(StorageError) -> AppliedState<CounterTypes> {
        state.withLock { AppliedState(lastApplied: $0.lastApplied, membership: $0.membership) }
    }

    /// Committed entries, in log order, each once; one response per command entry.
    func apply(_ entries: [Entry<CounterTypes>]) async throws(StorageError) -> [CounterResponse] {
        state.withLock { state in
            var responses: [CounterResponse] = []
            for entry in entries {
                switch entry.payload {
                case .blank:
                    break
                case .membership(let membership):
                    state.membership = StoredMembership(logID: entry.logID, membership: membership)
                case .command(let add):
                    switch state.sessions.lookUp(client: add.client, sequence: add.sequence) {
                    case .duplicate(let first):
                        responses.append(first)
                    case .expired:
                        responses.append(.requestExpired)
                    case .new:
                        state.total += add.amount
                        state.sessions.record(.total(state.total), client: add.client, sequence: add.sequence, at: entry.index)
                        responses.append(.total(state.total))
                    }
                }
                state.lastApplied = entry.logID
            }
            return responses
        }
    }

    func buildSnapshot() async throws(StorageError) -> Snapshot<CounterTypes> {
        let current = state.withLock { $0 }
        let meta = SnapshotMeta(
            lastLogID: current.lastApplied, lastMembership: current.membership,
            snapshotID: "\(current.lastApplied.map(\.description) ?? "empty")-\(UInt64.random(in: 0...UInt64.max))")
        do {
            let snapshot = Snapshot(meta: meta, data: try BinaryEncoder().encode(current))
            latestSnapshot.withLock { $0 = snapshot }
            return snapshot
        } catch {
            throw StorageError(subject: .snapshot(id: meta.snapshotID), verb: .write, reason: "\(error)")
        }
    }

    func installSnapshot(_ snapshot: Snapshot<CounterTypes>) async throws(StorageError) {
        do {
            let restored = try BinaryDecoder().decode(State.self, from: snapshot.data)
            state.withLock { $0 = restored }
            latestSnapshot.withLock { $0 = snapshot }
        } catch {
            throw StorageError(subject: .snapshot(id: snapshot.meta.snapshotID), verb: .read, reason: "\(error)", isCorruption: true)
        }
    }

    func currentSnapshot() async throws(StorageError) -> Snapshot<CounterTypes>? {
        latestSnapshot.withLock { $0 }
    }
}

/// Three nodes in one process; one client adds to the counter, retrying every failure that a
/// retry cannot turn into a second addition.
func runCounterCluster() async throws -> Int {
    let router = InProcessRouter<CounterTypes>()
    var nodes: [RaftNode<CounterTypes>] = []
    for id: NodeID in 1...3 {
        let node = try await RaftNode.start(
            id: id, logStore: MemoryLogStore<CounterTypes>(), stateMachine: CounterStateMachine(),
            network: router.network(for: id))
        router.register(node)
        nodes.append(node)
    }
    try await nodes[0].initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))

    let client = UInt64.random(in: 1...UInt64.max)
    var sequence: UInt64 = 0
    func add(_ amount: Int) async throws -> CounterResponse {
        sequence += 1
        let command = AddCommand(client: client, sequence: sequence, amount: amount)
        var target = nodes[0]
        while true {
            do {
                return try await target.write(command)
            } catch {
                // isRetryable: the command did not take effect. mayHaveBeenApplied: it may
                // have; retrying is safe only because the state machine deduplicates
                // (client, sequence). Other errors (the node stopped, not a member) are final.
                guard error.isRetryable || error.mayHaveBeenApplied else { throw error }
                if case .forwardToLeader(let leaderID?, _) = error {
                    target = nodes.first { $0.id == leaderID }!
                } else {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
    }

    _ = try await add(40)
    guard case .total(let total) = try await add(2) else { return -1 }
    for node in nodes { await node.shutdown() }
    return total
}
// README-EXAMPLE-END
