import DequeModule

/// The outgoing traffic to one peer, on two lanes so heartbeats never queue behind
/// replication (a follower answers an append only after its disk write; a heartbeat at once):
///
/// - the replication lane sends appends that carry entries, one RPC at a time, merging
///   requests that queued meanwhile into one larger request;
/// - the control lane sends heartbeats (only the newest of those queued), votes and
///   timeout-now requests.
///
/// Answers and failures go back to the node's mailbox; the engine decides what they mean.
/// A client that sends without waiting (``RaftNetworkClient/sendsWithoutWaiting``) gets appends
/// and votes straight from the node loop instead, with no lane in between.
@usableFromInline final class PeerLink<Client: RaftNetworkClient>: Sendable {
    @usableFromInline typealias Types = Client.Types

    @usableFromInline enum ControlMessage: Sendable {
        case heartbeat(AppendEntriesRequest<Types>)
        case vote(VoteRequest)
        case timeoutNow(TimeoutNowRequest)
    }

    @usableFromInline let peer: NodeID
    @usableFromInline let client: Client
    @usableFromInline let replication = Mailbox<AppendEntriesRequest<Types>>()
    @usableFromInline let control = Mailbox<ControlMessage>()
    @usableFromInline let node: Mailbox<NodeEvent<Types>>
    @usableFromInline let rpcTimeout: Duration
    /// Merged requests stay within the engine's message limits, so transports see bounded frames.
    @usableFromInline let maxEntriesPerMessage: Int
    @usableFromInline let maxBytesPerMessage: Int

    @inlinable init(peer: NodeID, client: Client, node: Mailbox<NodeEvent<Types>>, config: RaftConfig) {
        self.peer = peer
        self.client = client
        self.node = node
        self.rpcTimeout = config.rpcTimeout
        self.maxEntriesPerMessage = config.engine.maxEntriesPerMessage
        self.maxBytesPerMessage = config.engine.maxBytesPerMessage
    }

    @inlinable func send(_ message: RaftMessage<Types>) {
        if client.sendsWithoutWaiting {
            switch message {
            // The callbacks capture the rpc id, not the request: a captured request would keep
            // its entries alive and make every callback context larger to allocate and copy.
            case .appendEntries(let request):
                return client.sendAppendEntries(request, timeout: rpcTimeout) { [node, peer, rpcID = request.rpcID] result in
                    switch result {
                    case .success(let response): node.push(.response(.appendEntriesResponse(response), from: peer))
                    case .failure: node.push(.deliveryFailed(to: peer, rpcID: rpcID))
                    }
                }
            case .vote(let request):
                return client.sendVote(request, timeout: rpcTimeout) { [node, peer, rpcID = request.rpcID] result in
                    switch result {
                    case .success(let response): node.push(.response(.voteResponse(response), from: peer))
                    case .failure(let error): Self.voteFailed(error, node: node, peer: peer, rpcID: rpcID)
                    }
                }
            default:
                break
            }
        }
        switch message {
        case .appendEntries(let request) where !request.entries.isEmpty: replication.push(request)
        case .appendEntries(let request): control.push(.heartbeat(request))
        case .vote(let request): control.push(.vote(request))
        case .timeoutNow(let request): control.push(.timeoutNow(request))
        case .appendEntriesResponse, .voteResponse, .installSnapshot, .installSnapshotResponse:
            preconditionFailure("responses and snapshots do not travel on peer links")
        }
    }

    /// A vote request failed; a peer that considers this node removed says so, and the
    /// engine decides what that means (it holds back campaigns, reversibly).
    @inlinable static func voteFailed(_ error: RPCError, node: Mailbox<NodeEvent<Types>>, peer: NodeID, rpcID: UInt64) {
        if case .refused(.removed, _) = error { node.push(.trigger(.removalReported(by: peer))) }
        node.push(.deliveryFailed(to: peer, rpcID: rpcID))
    }

    /// Stops sending: requests still queued are dropped (the engine treats them as lost).
    @inlinable func close() {
        replication.close(discardingQueued: true)
        control.close(discardingQueued: true)
    }

    @inlinable nonisolated(nonsending) func run() async {
        await withDiscardingTaskGroup { group in
            // A client that sends without waiting gets appends straight from `send`; only
            // timeout-now still travels on a lane.
            if !client.sendsWithoutWaiting { group.addTask { await self.runReplicationLane() } }
            group.addTask { await self.runControlLane() }
        }
    }

    @inlinable nonisolated(nonsending) func runReplicationLane() async {
        while true {
            let requests = await replication.takeAll()
            if requests.isEmpty { return }
            for request in Self.merged(requests, maxEntries: maxEntriesPerMessage, maxBytes: maxBytesPerMessage) {
                do {
                    let response = try await client.appendEntries(request, timeout: rpcTimeout)
                    node.push(.response(.appendEntriesResponse(response), from: peer))
                } catch {
                    node.push(.deliveryFailed(to: peer, rpcID: request.rpcID))
                }
            }
        }
    }

    /// Joins requests where each continues the previous one (same leader, contiguous
    /// entries) into one; the merged request keeps the newest rpc id and commit point, whose
    /// acknowledgement covers the earlier ones.
    @inlinable static func merged(_ requests: Deque<AppendEntriesRequest<Types>>, maxEntries: Int, maxBytes: Int) -> [AppendEntriesRequest<Types>] {
        var result: [AppendEntriesRequest<Types>] = []
        result.reserveCapacity(requests.count)
        var lastBytes = 0
        for request in requests {
            let bytes = request.entries.reduce(0) { $0 + $1.byteCount }
            if var last = result.last, last.vote == request.vote, last.lastLogID == request.prevLogID,
               last.entries.count + request.entries.count <= maxEntries, lastBytes + bytes <= maxBytes {
                lastBytes += bytes
                result[result.count - 1].entries = []
                last.entries.append(contentsOf: request.entries)
                last.leaderCommit = request.leaderCommit
                last.rpcID = request.rpcID
                result[result.count - 1] = last
            } else {
                result.append(request)
                lastBytes = bytes
            }
        }
        return result
    }

    @inlinable nonisolated(nonsending) func runControlLane() async {
        while true {
            let messages = await control.takeAll()
            if messages.isEmpty { return }
            // Older heartbeats and vote requests of the batch are superseded by the newest.
            let newestHeartbeat = messages.lastIndex { if case .heartbeat = $0 { return true } else { return false } }
            let newestVote = messages.lastIndex { if case .vote = $0 { return true } else { return false } }
            for (position, message) in messages.enumerated() {
                switch message {
                case .heartbeat(let request):
                    guard position == newestHeartbeat else { continue }
                    do {
                        let response = try await client.appendEntries(request, timeout: rpcTimeout)
                        node.push(.response(.appendEntriesResponse(response), from: peer))
                    } catch {
                        node.push(.deliveryFailed(to: peer, rpcID: request.rpcID))
                    }
                case .vote(let request):
                    guard position == newestVote else { continue }
                    do {
                        let response = try await client.vote(request, timeout: rpcTimeout)
                        node.push(.response(.voteResponse(response), from: peer))
                    } catch {
                        Self.voteFailed(error, node: node, peer: peer, rpcID: request.rpcID)
                    }
                case .timeoutNow(let request):
                    try? await client.timeoutNow(request, timeout: rpcTimeout)
                }
            }
        }
    }
}

/// Streams the state machine's current snapshot to a peer in chunks, resuming where the
/// receiver says it is; each chunk has its own timeout, the whole transfer none.
@usableFromInline struct SnapshotSender<Client: RaftNetworkClient, Machine: RaftStateMachine>: Sendable where Machine.Types == Client.Types {
    @usableFromInline typealias Types = Client.Types

    @usableFromInline let peer: NodeID
    @usableFromInline let client: Client
    @usableFromInline let stateMachine: Machine
    @usableFromInline let node: Mailbox<NodeEvent<Types>>
    @usableFromInline let chunkSize: Int
    @usableFromInline let chunkTimeout: Duration

    @inlinable init(peer: NodeID, client: Client, stateMachine: Machine, node: Mailbox<NodeEvent<Types>>, chunkSize: Int, chunkTimeout: Duration) {
        self.peer = peer
        self.client = client
        self.stateMachine = stateMachine
        self.node = node
        self.chunkSize = chunkSize
        self.chunkTimeout = chunkTimeout
    }

    @inlinable nonisolated(nonsending) func send(_ request: InstallSnapshotRequest<Types>) async {
        guard let snapshot = try? await stateMachine.currentSnapshot() else {
            node.push(.deliveryFailed(to: peer, rpcID: request.rpcID))
            return
        }
        var offset = 0
        var restarts = 0
        // Cancelled when the engine starts another transfer to this peer or the node stops;
        // either way the engine no longer waits for this one.
        while !Task.isCancelled {
            let end = min(offset + chunkSize, snapshot.data.count)
            let chunk = SnapshotChunk(
                vote: request.vote, meta: snapshot.meta, offset: offset, data: Array(snapshot.data[offset..<end]),
                isLast: end == snapshot.data.count, rpcID: request.rpcID)
            let response: SnapshotChunkResponse
            do {
                response = try await client.installSnapshotChunk(chunk, timeout: chunkTimeout)
            } catch {
                node.push(.deliveryFailed(to: peer, rpcID: request.rpcID))
                return
            }
            switch response {
            case .accepted(let nextOffset):
                guard nextOffset > offset, nextOffset <= snapshot.data.count else {
                    node.push(.deliveryFailed(to: peer, rpcID: request.rpcID))
                    return
                }
                offset = nextOffset
            case .installed(let installed):
                node.push(.response(.installSnapshotResponse(installed), from: peer))
                return
            case .rejected(let vote):
                node.push(.response(.installSnapshotResponse(InstallSnapshotResponse(vote: vote, rpcID: request.rpcID, outcome: .rejected)), from: peer))
                return
            case .outOfOrder(let expected):
                restarts += 1
                if restarts > 3 || expected > snapshot.data.count {
                    node.push(.deliveryFailed(to: peer, rpcID: request.rpcID))
                    return
                }
                offset = expected
            }
        }
    }
}
