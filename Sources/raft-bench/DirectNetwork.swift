import Raft
import RaftCore
import Synchronization

/// The nodes of one in-process cluster, found by id. Registered once each before the cluster
/// is initialized.
final class DirectHub<Types: RaftTypeConfig>: Sendable {
    private let nodes = Mutex<[NodeID: RaftNode<Types>]>([:])

    func register(_ node: RaftNode<Types>) { nodes.withLock { $0[node.id] = node } }

    func node(_ id: NodeID) throws(RPCError) -> RaftNode<Types> {
        guard let node = nodes.withLock({ $0[id] }) else { throw .unreachable("node \(id) is not running") }
        return node
    }
}

/// openraft's bench network: an RPC is a direct call into the target node's handler, still
/// through the `RaftNetworkFactory`/`RaftNetworkClient` protocols the runtime uses for any
/// transport. Appends and votes use the callback form (``RaftNetworkClient/sendsWithoutWaiting``),
/// as a transport over sockets would; the rest are async calls. Unlike `InProcessRouter` it has no fault checks and counts nothing.
///
/// A direct call into a running node always returns: the node answers every incoming request
/// or fails it after its RPC timeout, which is what the protocol's `timeout` asks for.
struct DirectNetwork<Types: RaftTypeConfig>: RaftNetworkFactory {
    let hub: DirectHub<Types>

    func makeClient(for target: NodeID, address: Types.NodeAddress?) -> DirectClient<Types> {
        DirectClient(hub: hub, target: target)
    }
}

struct DirectClient<Types: RaftTypeConfig>: RaftNetworkClient {
    let hub: DirectHub<Types>
    let target: NodeID

    /// Appends and votes go straight into the target's mailbox; its loop calls back.
    var sendsWithoutWaiting: Bool { true }

    func sendAppendEntries(
        _ request: AppendEntriesRequest<Types>, timeout: Duration, onAnswer: @escaping @Sendable (Result<AppendEntriesResponse, RPCError>) -> Void
    ) {
        do throws(RPCError) { try hub.node(target).appendEntries(request, timeout: timeout, reply: onAnswer) } catch { onAnswer(.failure(error)) }
    }

    func sendVote(_ request: VoteRequest, timeout: Duration, onAnswer: @escaping @Sendable (Result<VoteResponse, RPCError>) -> Void) {
        do throws(RPCError) { try hub.node(target).vote(request, timeout: timeout, reply: onAnswer) } catch { onAnswer(.failure(error)) }
    }

    func appendEntries(_ request: AppendEntriesRequest<Types>, timeout: Duration) async throws(RPCError) -> AppendEntriesResponse {
        try await hub.node(target).appendEntries(request)
    }

    func vote(_ request: VoteRequest, timeout: Duration) async throws(RPCError) -> VoteResponse {
        try await hub.node(target).vote(request)
    }

    func installSnapshotChunk(_ chunk: SnapshotChunk<Types>, timeout: Duration) async throws(RPCError) -> SnapshotChunkResponse {
        try await hub.node(target).installSnapshotChunk(chunk)
    }

    func timeoutNow(_ request: TimeoutNowRequest, timeout: Duration) async throws(RPCError) {
        try hub.node(target).timeoutNow(request)
    }
}
