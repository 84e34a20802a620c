import Raft
import Synchronization

/// Connects `RaftNode`s in one process through the network protocol, with fault injection:
/// isolate a node, cut one direction of a link, delay traffic to a node. Used by integration
/// tests and the in-memory benchmark (with no faults, a call is a direct function call).
public final class InProcessRouter<Types: RaftTypeConfig>: Sendable {
    struct Faults: Sendable {
        var isolated: Set<NodeID> = []
        var cutLinks: Set<Link> = []
        var delays: [NodeID: Duration] = [:]
        var active: Bool { !isolated.isEmpty || !cutLinks.isEmpty || !delays.isEmpty }
    }

    struct Link: Hashable, Sendable {
        var from: NodeID
        var to: NodeID
    }

    private let nodes = Mutex<[NodeID: RaftNode<Types>]>([:])
    private let faults = Mutex(Faults())
    /// RPCs attempted, per target, for tests that assert traffic (e.g. a removed node gets none).
    private let rpcCounts = Mutex<[NodeID: Int]>([:])

    /// Whether clients send appends and votes without waiting (`RaftNetworkClient.sendsWithoutWaiting`),
    /// the way a socket transport does, instead of through the runtime's per-peer tasks.
    public let sendsWithoutWaiting: Bool

    /// A router with no nodes and no faults; `sendsWithoutWaiting` picks which of the two
    /// ways the runtime sends appends and votes is exercised.
    public init(sendsWithoutWaiting: Bool = false) {
        self.sendsWithoutWaiting = sendsWithoutWaiting
    }

    /// Makes `node` reachable under its id.
    public func register(_ node: RaftNode<Types>) { nodes.withLock { $0[node.id] = node } }
    /// Makes node `id` unreachable (its requests fail as unreachable).
    public func unregister(_ id: NodeID) { _ = nodes.withLock { $0.removeValue(forKey: id) } }
    /// The node registered under `id`.
    public func node(_ id: NodeID) -> RaftNode<Types>? { nodes.withLock { $0[id] } }

    /// Drops all traffic to and from `id`.
    public func isolate(_ id: NodeID) { faults.withLock { _ = $0.isolated.insert(id) } }
    /// Drops traffic from `from` to `to` (one direction).
    public func cut(from: NodeID, to: NodeID) { faults.withLock { _ = $0.cutLinks.insert(Link(from: from, to: to)) } }
    /// Delays every request to `id` by `delay`.
    public func delay(to id: NodeID, by delay: Duration) { faults.withLock { $0.delays[id] = delay } }
    /// Removes every fault.
    public func healAll() { faults.withLock { $0 = Faults() } }
    /// Removes every fault that involves `id`.
    public func heal(_ id: NodeID) {
        faults.withLock { faults in
            faults.isolated.remove(id)
            faults.cutLinks = faults.cutLinks.filter { $0.from != id && $0.to != id }
            faults.delays[id] = nil
        }
    }

    /// RPCs delivered to `id` so far.
    public func rpcCount(to id: NodeID) -> Int { rpcCounts.withLock { $0[id] ?? 0 } }

    /// The network a node with id `source` uses.
    public func network(for source: NodeID) -> RouterNetwork<Types> { RouterNetwork(router: self, source: source) }

    /// Resolves the target of one RPC, applying faults: throws like a real transport would.
    /// Returns the node and how much of `timeout` is left for its answer.
    func route(from source: NodeID, to target: NodeID, timeout: Duration) async throws(RPCError) -> (node: RaftNode<Types>, remaining: Duration) {
        rpcCounts.withLock { $0[target, default: 0] += 1 }
        let current = faults.withLock { $0.active ? $0 : nil }
        if let current {
            if current.isolated.contains(source) || current.isolated.contains(target) || current.cutLinks.contains(Link(from: source, to: target)) {
                // A lost request looks like silence: the caller learns only from its timeout.
                try? await Task.sleep(for: min(timeout, .milliseconds(50)))
                throw .timeout
            }
            if let delay = current.delays[target] {
                if delay >= timeout {
                    try? await Task.sleep(for: timeout)
                    throw .timeout
                }
                try? await Task.sleep(for: delay)
                guard let node = nodes.withLock({ $0[target] }) else { throw .unreachable("node \(target) is not running") }
                return (node, timeout - delay)
            }
        }
        guard let node = nodes.withLock({ $0[target] }) else { throw .unreachable("node \(target) is not running") }
        return (node, timeout)
    }

    /// The registered target of an RPC that no fault affects, counting the RPC; nil when a
    /// fault is active or no node is registered under the id (the async path then handles
    /// it). A registered node that stopped answers the request with an error itself.
    func directTarget(from source: NodeID, to target: NodeID) -> RaftNode<Types>? {
        guard !faults.withLock({ $0.active }), let node = nodes.withLock({ $0[target] }) else { return nil }
        rpcCounts.withLock { $0[target, default: 0] += 1 }
        return node
    }

    /// Whether the answer from `target` back to `source` is lost.
    func answerLost(from target: NodeID, to source: NodeID) -> Bool {
        faults.withLock { faults in
            faults.active && (faults.isolated.contains(target) || faults.isolated.contains(source) || faults.cutLinks.contains(Link(from: target, to: source)))
        }
    }
}

/// The `RaftNetworkFactory` of one node on an ``InProcessRouter``.
public struct RouterNetwork<Types: RaftTypeConfig>: RaftNetworkFactory {
    let router: InProcessRouter<Types>
    let source: NodeID

    public func makeClient(for target: NodeID, address: Types.NodeAddress?) -> RouterClient<Types> {
        RouterClient(router: router, source: source, target: target)
    }
}

/// RPCs from one node to another through the router.
public struct RouterClient<Types: RaftTypeConfig>: RaftNetworkClient {
    let router: InProcessRouter<Types>
    let source: NodeID
    let target: NodeID

    public var sendsWithoutWaiting: Bool { router.sendsWithoutWaiting }

    /// Without faults the request goes straight into the target's mailbox; with faults
    /// (delays, partitions) it takes the async path on a task of its own.
    public func sendAppendEntries(
        _ request: AppendEntriesRequest<Types>, timeout: Duration, onAnswer: @escaping @Sendable (Result<AppendEntriesResponse, RPCError>) -> Void
    ) {
        send(onAnswer: onAnswer, direct: { node, reply in node.appendEntries(request, timeout: timeout, reply: reply) },
             async: { () async throws(RPCError) in try await appendEntries(request, timeout: timeout) })
    }

    public func sendVote(_ request: VoteRequest, timeout: Duration, onAnswer: @escaping @Sendable (Result<VoteResponse, RPCError>) -> Void) {
        send(onAnswer: onAnswer, direct: { node, reply in node.vote(request, timeout: timeout, reply: reply) },
             async: { () async throws(RPCError) in try await vote(request, timeout: timeout) })
    }

    private func send<Response: Sendable>(
        onAnswer: @escaping @Sendable (Result<Response, RPCError>) -> Void,
        direct: (RaftNode<Types>, @escaping @Sendable (Result<Response, RPCError>) -> Void) -> Void,
        async call: @escaping @Sendable () async throws(RPCError) -> Response
    ) {
        guard let node = router.directTarget(from: source, to: target) else {
            Task {
                do throws(RPCError) { onAnswer(.success(try await call())) } catch { onAnswer(.failure(error)) }
            }
            return
        }
        direct(node) { [router, source, target] result in
            onAnswer(router.answerLost(from: target, to: source) ? .failure(.timeout) : result)
        }
    }

    private func answered<Value>(_ value: Value) throws(RPCError) -> Value {
        if router.answerLost(from: target, to: source) { throw .timeout }
        return value
    }

    /// Hands the append to the target node's handler, applying the router's faults.
    public func appendEntries(_ request: AppendEntriesRequest<Types>, timeout: Duration) async throws(RPCError) -> AppendEntriesResponse {
        let (node, remaining) = try await router.route(from: source, to: target, timeout: timeout)
        return try answered(try await node.appendEntries(request, timeout: remaining))
    }

    public func vote(_ request: VoteRequest, timeout: Duration) async throws(RPCError) -> VoteResponse {
        let (node, remaining) = try await router.route(from: source, to: target, timeout: timeout)
        return try answered(try await node.vote(request, timeout: remaining))
    }

    /// Hands the chunk to the target node, applying the router's faults.
    public func installSnapshotChunk(_ chunk: SnapshotChunk<Types>, timeout: Duration) async throws(RPCError) -> SnapshotChunkResponse {
        let (node, _) = try await router.route(from: source, to: target, timeout: timeout)
        return try answered(await node.installSnapshotChunk(chunk))
    }

    /// Hands the request to the target node, applying the router's faults.
    public func timeoutNow(_ request: TimeoutNowRequest, timeout: Duration) async throws(RPCError) {
        let (node, _) = try await router.route(from: source, to: target, timeout: timeout)
        node.timeoutNow(request)
    }

    public func readIndex(timeout: Duration) async throws(RPCError) -> LogID? {
        let (node, _) = try await router.route(from: source, to: target, timeout: timeout)
        let result: Result<LogID?, RaftError<Types.NodeAddress>>
        do {
            result = .success(try await node.readIndexForFollower())
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let readIndex): return try answered(readIndex)
        case .failure(let error): throw .remote("\(error)")
        }
    }
}
