import HTTPTypes
import Hummingbird
import HummingbirdCore
import Prometheus
import Raft
import RaftCore

extension KVAPI {
    static let membershipTimeout: Duration = .seconds(30)

    func ready() -> Response {
        let metrics = node.metrics
        var reasons: [String] = []
        if metrics.runningState != .running { reasons.append("the node has stopped") }
        if metrics.currentLeader == nil { reasons.append("no leader is known") }
        if metrics.appliedIndex < startCommitted {
            reasons.append("applied \(metrics.appliedIndex) of the \(startCommitted) entries committed at start")
        }
        guard reasons.isEmpty else {
            var error = APIError(.serviceUnavailable, "not_ready", reasons.joined(separator: "; "))
            error.retryAfter = 1
            error.retryable = true
            return Self.errorResponse(error)
        }
        return Self.json(.ok, ["status": "ready"])
    }

    func metricsResponse() -> Response {
        metrics.update(from: node.metrics, keys: store.keyCount)
        var bytes: [UInt8] = []
        metrics.registry.emit(into: &bytes)
        return Self.bytes(.ok, bytes, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    func status() -> Response {
        let metrics = node.metrics
        let membership = metrics.membership
        let role: String
        if metrics.state == .leader {
            role = "leader"
        } else if !membership.config.isVoter(node.id) {
            role = "learner"
        } else {
            role = metrics.state.rawValue
        }
        let lastIndex = metrics.lastLogIndex
        let followers = metrics.state == .leader
            ? metrics.replication.keys.sorted().filter { $0 != node.id }.map { id -> StatusBody.Follower in
                let status = metrics.replication[id]!
                let matched = status.matched.indexOrZero
                return StatusBody.Follower(id: id, matchIndex: matched, lag: lastIndex > matched ? lastIndex - matched : 0, mode: status.mode.rawValue)
            }
            : []
        let running: String
        switch metrics.runningState {
        case .running: running = "running"
        case .fatal(let error): running = "stopped: \(error)"
        default: running = "stopped"
        }
        let body = StatusBody(
            id: node.id, role: role, running: running, term: metrics.currentTerm, leader: hint(metrics.currentLeader),
            lastLog: LogPosition(metrics.lastLogID), committed: metrics.committed.indexOrZero, applied: metrics.appliedIndex,
            snapshot: metrics.snapshot?.index, purged: metrics.purged?.index, membership: MembershipBody(membership),
            followers: followers, votingSuspended: metrics.votingSuspended, keys: store.keyCount, http: selfAddress.http, raft: selfAddress.raft)
        return Self.json(.ok, body)
    }

    func initialize(_ request: Request) async throws -> Response {
        let bytes = try await body(of: request, limit: 1 << 20)
        var voters: [NodeID: MemberAddress]
        if bytes.isEmpty {
            voters = configuration.peers
            voters[node.id] = selfAddress
        } else {
            let body = try JSON.decode(InitRequest.self, from: bytes)
            guard let members = body.members, !members.isEmpty else {
                throw APIError.badRequest("members must list at least one member", code: "invalid_membership")
            }
            voters = [:]
            for member in members { voters[member.id] = try Self.address(member.raft, member.http) }
        }
        do {
            try await node.initialize(Membership(voters: voters))
        } catch {
            throw apiError(error)
        }
        let initial = StoredMembership<StoreTypes>(logID: nil, membership: Membership(voters: voters))
        return Self.json(.ok, ["membership": MembershipBody(initial)])
    }

    func addLearner(_ request: Request, _ target: ParsedTarget) async throws -> Response {
        let bytes = try await body(of: request, limit: 1 << 16)
        let body = try JSON.decode(LearnerRequest.self, from: bytes)
        let address = try Self.address(body.raft, body.http)
        if let forwarded = try await forwardUnlessLeader(request, target, body: bytes, isWrite: true) { return forwarded }
        let logID: LogID
        do {
            logID = try await node.addLearner(body.id, address: address, waitUntilCaughtUp: body.waitUntilCaughtUp ?? true, timeout: Self.membershipTimeout)
        } catch {
            throw apiError(error)
        }
        return Self.json(.ok, ChangeBody(index: logID.index, membership: MembershipBody(node.metrics.membership)))
    }

    func changeMembers(_ request: Request, _ target: ParsedTarget) async throws -> Response {
        let bytes = try await body(of: request, limit: 1 << 16)
        let body = try JSON.decode(MembersRequest.self, from: bytes)
        let change: MembershipChange<StoreTypes>
        switch (body.add, body.promote, body.remove) {
        case (let add?, nil, nil) where !add.isEmpty:
            var voters: [NodeID: MemberAddress] = [:]
            for member in add { voters[member.id] = try Self.address(member.raft, member.http) }
            change = .addVoters(voters)
        case (nil, let promote?, nil) where !promote.isEmpty:
            change = .addVoterIDs(Set(promote))
        case (nil, nil, let remove?) where !remove.isEmpty:
            change = .removeVoters(Set(remove))
        default:
            throw APIError.badRequest("the body names exactly one non-empty list: add, promote or remove (one change per call)", code: "invalid_membership_change")
        }
        if let forwarded = try await forwardUnlessLeader(request, target, body: bytes, isWrite: true) { return forwarded }
        let logID: LogID
        do {
            logID = try await node.changeMembership(change, timeout: Self.membershipTimeout)
        } catch {
            throw apiError(error)
        }
        return Self.json(.ok, ChangeBody(index: logID.index, membership: MembershipBody(node.metrics.membership)))
    }

    func transferLeader(_ request: Request, _ target: ParsedTarget) async throws -> Response {
        let bytes = try await body(of: request, limit: 1 << 16)
        let body = bytes.isEmpty ? TransferRequest(to: nil) : try JSON.decode(TransferRequest.self, from: bytes)
        if let forwarded = try await forwardUnlessLeader(request, target, body: bytes, isWrite: true) { return forwarded }
        guard let destination = body.to ?? bestTransferTarget() else {
            throw APIError(.conflict, "no_transfer_target", "no other voter to hand leadership to")
        }
        do {
            try await node.transferLeader(to: destination, timeout: .seconds(10))
        } catch {
            throw apiError(error)
        }
        return Self.json(.ok, ["leader": destination])
    }

    /// The other voter whose log is furthest along (leader only).
    func bestTransferTarget() -> NodeID? {
        let metrics = node.metrics
        return metrics.membership.config.voterIDs
            .filter { $0 != node.id }
            .max { (metrics.replication[$0]?.matched.indexOrZero ?? 0, $1) < (metrics.replication[$1]?.matched.indexOrZero ?? 0, $0) }
    }

    /// Ends the voting suspension of a node started as storage-lost. Only safe once the
    /// cluster's term is above every term this node could have voted in before it lost its
    /// storage (the disaster-recovery procedure); the node cannot tell that by itself.
    /// The data directory's storage-lost marker goes first: once it is gone a restart no
    /// longer suspends voting, which is what resuming asks for.
    func resumeVoting() throws(APIError) -> Response {
        let wasSuspended = node.metrics.votingSuspended
        do {
            try StorageLostMarker(dataDirectory: configuration.dataDirectory).remove()
        } catch {
            throw APIError(.internalServerError, "storage_failed", "voting stays suspended: \(error)")
        }
        node.resumeVoting()
        return Self.json(.ok, ["votingSuspended": false, "wasSuspended": wasSuspended])
    }

    func snapshot(_ request: Request) async throws -> Response {
        let applied = node.metrics.appliedIndex
        node.triggerSnapshot()
        let metrics: RaftMetrics<StoreTypes>
        do {
            metrics = try await node.wait(until: .snapshot(atLeast: applied), timeout: Self.membershipTimeout)
        } catch {
            throw apiError(error)
        }
        return Self.json(.ok, ["snapshotIndex": metrics.snapshot.indexOrZero])
    }

    static func address(_ raft: String, _ http: String) throws(APIError) -> MemberAddress {
        guard HTTPClientPool.split(raft) != nil, HTTPClientPool.split(http) != nil else {
            throw .badRequest("member addresses are host:port, not raft \(raft), http \(http)", code: "invalid_address")
        }
        return MemberAddress(raft: raft, http: http)
    }
}
