import Raft
import RaftTesting
import Synchronization
import Testing

/// Where the nodes of one process are found: the "network" of this transport.
final class NodeDirectory: Sendable {
    private let nodes = Mutex<[NodeID: RaftNode<KVTypes>]>([:])

    func add(_ node: RaftNode<KVTypes>) { nodes.withLock { $0[node.id] = node } }
    func remove(_ id: NodeID) { _ = nodes.withLock { $0.removeValue(forKey: id) } }
    func node(_ id: NodeID) -> RaftNode<KVTypes>? { nodes.withLock { $0[id] } }
}

/// The factory a node is started with: one client per peer.
struct DirectNetwork: RaftNetworkFactory {
    let directory: NodeDirectory

    func makeClient(for target: NodeID, address: String?) -> DirectClient {
        DirectClient(directory: directory, target: target)
    }
}

/// RPCs to one peer, handed straight to its node's handlers. Every call ends within its
/// timeout: the node's callback handlers answer within the timeout they are given, and the
/// other calls race a timer.
struct DirectClient: RaftNetworkClient {
    typealias Types = KVTypes

    let directory: NodeDirectory
    let target: NodeID

    /// Appends and votes start from the node's loop and answer through a callback, so no
    /// task per peer sits between the loop and the "wire".
    var sendsWithoutWaiting: Bool { true }

    func sendAppendEntries(
        _ request: AppendEntriesRequest<KVTypes>, timeout: Duration,
        onAnswer: @escaping @Sendable (Result<AppendEntriesResponse, RPCError>) -> Void
    ) {
        guard let peer = directory.node(target) else { return onAnswer(.failure(.unreachable("node \(target) is not running"))) }
        peer.appendEntries(request, timeout: timeout, reply: onAnswer)
    }

    func sendVote(_ request: VoteRequest, timeout: Duration, onAnswer: @escaping @Sendable (Result<VoteResponse, RPCError>) -> Void) {
        guard let peer = directory.node(target) else { return onAnswer(.failure(.unreachable("node \(target) is not running"))) }
        peer.vote(request, timeout: timeout, reply: onAnswer)
    }

    func appendEntries(_ request: AppendEntriesRequest<KVTypes>, timeout: Duration) async throws(RPCError) -> AppendEntriesResponse {
        guard let peer = directory.node(target) else { throw .unreachable("node \(target) is not running") }
        return try await peer.appendEntries(request, timeout: timeout)
    }

    func vote(_ request: VoteRequest, timeout: Duration) async throws(RPCError) -> VoteResponse {
        guard let peer = directory.node(target) else { throw .unreachable("node \(target) is not running") }
        return try await peer.vote(request, timeout: timeout)
    }

    func installSnapshotChunk(_ chunk: SnapshotChunk<KVTypes>, timeout: Duration) async throws(RPCError) -> SnapshotChunkResponse {
        guard let peer = directory.node(target) else { throw .unreachable("node \(target) is not running") }
        return try await withRPCTimeout(timeout) { await peer.installSnapshotChunk(chunk) }
    }

    func timeoutNow(_ request: TimeoutNowRequest, timeout: Duration) async throws(RPCError) {
        guard let peer = directory.node(target) else { throw .unreachable("node \(target) is not running") }
        peer.timeoutNow(request)
    }

    /// For follower reads: the peer (believed to lead) confirms its leadership and answers
    /// the index a read must wait for.
    func readIndex(timeout: Duration) async throws(RPCError) -> LogID? {
        guard let peer = directory.node(target) else { throw .unreachable("node \(target) is not running") }
        let result = try await withRPCTimeout(timeout) { () async -> Result<LogID?, RaftError<String>> in
            do throws(RaftError<String>) { return .success(try await peer.readIndexForFollower()) } catch { return .failure(error) }
        }
        switch result {
        case .success(let index): return index
        case .failure(let error): throw .remote("\(error)")
        }
    }
}

/// Runs `operation` and returns its value, or throws `.timeout` once `timeout` has passed
/// (the operation then finishes unobserved).
func withRPCTimeout<Value: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async -> Value) async throws(RPCError) -> Value {
    let value: Value? = await withCheckedContinuation { continuation in
        let first = FirstAnswer(continuation)
        Task { first.resume(await operation()) }
        Task {
            try? await Task.sleep(for: timeout)
            first.resume(nil)
        }
    }
    guard let value else { throw .timeout }
    return value
}

/// Resumes a continuation once, with whichever answer comes first (nil: the timer's).
final class FirstAnswer<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value?, Never>?>

    init(_ continuation: CheckedContinuation<Value?, Never>) { self.continuation = Mutex(continuation) }

    func resume(_ value: Value?) { continuation.withLock { $0.take() }?.resume(returning: value) }
}

extension GuideSuites {
    @Suite("Guide: Writing a transport")
    struct WritingATransportTests {
        @Test func aClusterOnTheDirectTransportReplicatesTransfersReadsAndStreamsSnapshots() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let directory = NodeDirectory()
                var config = withGenerousTimeouts()
                config.engine.snapshotPolicy = .everyAppliedEntries(20)
                config.engine.logsKeptAfterSnapshot = 0
                config.engine.purgeBatchSize = 1
                var stateMachines: [NodeID: MemoryKVStateMachine] = [:]
                func start(_ id: NodeID) async throws -> RaftNode<KVTypes> {
                    let stateMachine = MemoryKVStateMachine()
                    let node = try await RaftNode.start(
                        id: id, config: config, logStore: MemoryLogStore<KVTypes>(), stateMachine: stateMachine,
                        network: DirectNetwork(directory: directory))
                    directory.add(node)
                    stateMachines[id] = stateMachine
                    return node
                }
                var nodes: [NodeID: RaftNode<KVTypes>] = [:]
                for id: NodeID in 1...3 { nodes[id] = try await start(id) }
                try await nodes[1]!.initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
                try await nodes[1]!.wait(until: .state(.leader), timeout: .seconds(10))

                for index in 1...40 { _ = try await nodes[1]!.write(.put(key: "key-\(index % 5)", value: "value-\(index)")) }
                try await nodes[1]!.wait(until: .purged(atLeast: 20), timeout: .seconds(10))

                // A new node needs the purged prefix: the leader streams it a snapshot in chunks.
                nodes[4] = try await start(4)
                let added = try await nodes[1]!.addLearner(4, address: "node-4", timeout: .seconds(10))
                try await nodes[4]!.wait(until: .appliedIndex(atLeast: added.index), timeout: .seconds(10))
                #expect(nodes[4]!.metrics.snapshot.indexOrZero >= 20)
                #expect(stateMachines[4]!.value(forKey: "key-0") == "value-40")

                // Leadership transfer (timeout-now), then a follower read through the new leader.
                try await nodes[1]!.transferLeader(to: 2, timeout: .seconds(10))
                let readIndex = try await nodes[3]!.ensureLinearizable(via: DirectClient(directory: directory, target: 2), timeout: .seconds(10))
                #expect(readIndex.indexOrZero >= 40)
                #expect(stateMachines[3]!.value(forKey: "key-1") == "value-36")

                // A peer that is gone answers at once; a call that gets no answer ends at its timeout.
                directory.remove(3)
                await #expect(throws: RPCError.unreachable("node 3 is not running")) {
                    try await DirectClient(directory: directory, target: 3).vote(VoteRequest(vote: .initial, lastLogID: nil, isPreVote: true, rpcID: 1), timeout: .seconds(1))
                }
                await #expect(throws: RPCError.timeout) {
                    try await withRPCTimeout(.milliseconds(50)) { try? await Task.sleep(for: .seconds(5)) }
                }
                for node in nodes.values { await node.shutdown() }
            }
        }
    }
}
