import RaftCore

/// The workload: closed-loop clients issuing reads, writes and compare-and-set on a few
/// shared keys, and recording what they saw.
extension Simulator {
    /// How long a client waits for one operation before recording it as unknown.
    var operationTimeoutNanos: UInt64 { 1_500_000_000 }

    /// How long a client pinned to a deposed leader waits for one read.
    var pinnedReadTimeoutNanos: UInt64 { 50_000_000 }

    private func clientDelay() -> UInt64 { random.uint(in: 100_000...2_000_000) }

    private func nextHistoryTime() -> UInt64 {
        historyClock += 1
        return historyClock
    }

    func clientWake(_ index: Int, generation: UInt64) -> String? {
        guard clients[index].wakeGeneration == generation else { return nil }
        if clients[index].operation != nil {
            sendAttempt(index)
            return "client \(index) retries \(clients[index].request!) at n\(clients[index].target)"
        }
        guard phase == .faults || clients[index].isProbe else { return "client \(index) done" }
        issue(index)
        return "client \(index) invokes \(clients[index].request!) at n\(clients[index].target)"
    }

    private func issue(_ index: Int) {
        var client = clients[index]
        let key = random.int(in: 0...(options.keyCount - 1))
        let request: KVRequest
        let roll: Double
        switch client.isProbe ? nil : client.episodeRole(at: now) {
        case .pinnedReader: roll = 0
        case .writer: roll = 0.35 + random.unit() * 0.65
        case nil: roll = client.isProbe ? 0.5 : random.unit()
        }
        if let pinned = client.pinnedNode(at: now) { client.target = pinned }
        client.writesIssued += 1
        let fresh = (index + 1) * 1_000_000 + client.writesIssued
        if roll < 0.35 {
            request = .read(key: key)
        } else if roll < 0.75 {
            request = .write(key: key, value: fresh)
        } else {
            let expected = random.chance(0.8) ? client.lastSeen[key] : nil
            request = .compareAndSet(key: key, expected: expected, new: fresh)
        }
        history.append(RecordedOperation(client: index, request: request, invokedAt: nextHistoryTime()))
        client.operation = history.count - 1
        client.request = request
        // A client pinned to a deposed leader gives up on a read soon, so that one read
        // waiting for a quorum round there does not keep it from trying the lease again.
        let timeout = client.pinnedNode(at: now) != nil ? pinnedReadTimeoutNanos : operationTimeoutNanos
        client.deadline = now + timeout
        clients[index] = client
        schedule(.clientDeadline(client: index, operation: history.count - 1), after: timeout)
        sendAttempt(index)
    }

    private func sendAttempt(_ index: Int) {
        clients[index].attempt += 1
        clients[index].attemptInFlight = true
        let client = clients[index]
        let request = ClientRequest(client: index, attempt: client.attempt, node: client.target, operation: client.operation!, request: client.request!)
        schedule(.clientArrives(request), after: clientDelay())
    }

    /// A node answers (or a broken connection answers for it).
    func respond(to client: Int, attempt: UInt64, _ reply: ClientResponse.Reply) {
        schedule(.clientHears(ClientResponse(client: client, attempt: attempt, reply: reply)), after: clientDelay())
    }

    func clientRequestArrives(_ request: ClientRequest) -> String {
        let node = node(request.node)
        let description = "n\(node.id) receives client \(request.client) \(request.request)"
        guard node.isUp else {
            respond(to: request.client, attempt: request.attempt, .refused(hint: nil))
            return description + " (down)"
        }
        switch request.request {
        case .read(let key):
            let token = nextToken
            nextToken += 1
            // A client pinned to a deposed leader reads by lease when it may: a read-index read
            // there waits for its operation's timeout, and the lease is what must lapse.
            let pinned = clients[request.client].pinnedNode(at: now) == node.id
            let policy: ReadPolicy = leaseReadsAllowed && (pinned || random.chance(0.5)) ? .lease : .readIndex
            let leader = node.engine!.leaderID
            let mustReflect = leader.map { commits.highestIndexCommitted(byLeaderNewerThan: $0) } ?? 0
            tokenUses[token] = .clientRead(ClientRead(client: request.client, attempt: request.attempt, key: key, node: node.id, policy: policy, leader: leader, mustReflect: mustReflect))
            input(node) { $0.requestRead(token: token, policy: policy) }
            return description + " (\(policy))"
        case let .write(key, value):
            return description + propose(.put(key: key, value: value), for: request, on: node)
        case let .compareAndSet(key, expected, new):
            return description + propose(.compareAndSet(key: key, expected: expected, new: new), for: request, on: node)
        }
    }

    private func propose(_ action: SimKVAction, for request: ClientRequest, on node: SimNode) -> String {
        var outcome: Result<LogID?, ProposeError> = .success(nil)
        input(node) { engine in
            do throws(ProposeError) {
                outcome = .success(try engine.propose([SimKVCommand(operation: UInt64(request.operation), action: action)]))
            } catch {
                outcome = .failure(error)
            }
        }
        switch outcome {
        case .success(let logID?):
            node.pendingWrites[logID.index] = PendingWrite(logID: logID, client: request.client, attempt: request.attempt)
            return " -> proposed \(logID)"
        case .success(nil):
            fail("engine contract", "propose of one command returned no log id on node \(node.id)")
            return ""
        case .failure(.forwardToLeader(let forward)):
            respond(to: request.client, attempt: request.attempt, .refused(hint: forward.leaderID))
            return " -> refused, leader \(forward.leaderID.map(String.init) ?? "unknown")"
        case .failure(.transferringLeadership(let target)):
            respond(to: request.client, attempt: request.attempt, .refused(hint: target))
            return " -> refused, transferring to \(target)"
        }
    }

    /// The entry at a proposed write's index was applied: the write took effect if it is the
    /// same entry, and never will if it is another.
    func resolvePendingWrite(at entry: SimEntry, result: SimKVResult?, on node: SimNode) {
        guard let pending = node.pendingWrites.removeValue(forKey: entry.index) else { return }
        guard pending.logID == entry.logID, let result else {
            respond(to: pending.client, attempt: pending.attempt, .failed)
            return
        }
        switch result {
        case .written: respond(to: pending.client, attempt: pending.attempt, .ok(.written, logID: entry.logID))
        case .compareAndSet(let succeeded): respond(to: pending.client, attempt: pending.attempt, .ok(.compareAndSet(succeeded: succeeded), logID: entry.logID))
        }
    }

    /// A read index arrived: the state machine has applied through it, so read it now.
    func serveRead(_ read: ClientRead, result: Result<LogID?, ReadIndexError>, on node: SimNode) {
        switch result {
        case .success(let readLogID):
            if node.stateMachine.lastApplied.indexOrZero < readLogID.indexOrZero {
                fail("read contract", "node \(node.id) got read index \(describe(readLogID)) with its state machine at \(describe(node.stateMachine.lastApplied))")
            }
            if let problem = ReadFreshnessChecker.check(read, servedFrom: node.stateMachine.lastApplied, commits: commits) {
                violation = violation ?? problem
            }
            switch read.policy {
            case .lease: stats.leaseReads += 1
            case .readIndex: stats.readIndexReads += 1
            }
            respond(to: read.client, attempt: read.attempt, .ok(.read(node.stateMachine.values[read.key]), logID: nil))
        case .failure(.forwardToLeader(let forward)), .failure(.leadershipLost(let forward)):
            respond(to: read.client, attempt: read.attempt, .refused(hint: forward.leaderID))
        }
    }

    func clientHears(_ response: ClientResponse) -> String? {
        var client = clients[response.client]
        guard let operation = client.operation, client.attempt == response.attempt else { return nil }
        client.attemptInFlight = false
        let request = client.request!
        switch response.reply {
        case let .ok(reply, logID):
            switch reply {
            case .read(let value): client.lastSeen[request.key] = value
            case .written: if case .write(_, let value) = request { client.lastSeen[request.key] = value }
            case .compareAndSet(let succeeded): if succeeded, case .compareAndSet(_, _, let new) = request { client.lastSeen[request.key] = new }
            }
            if client.isProbe { client.probeAcknowledged = logID }
            clients[response.client] = client
            complete(response.client, operation: operation, .ok(reply))
            return "client \(response.client) ok \(request) -> \(reply)"
        case .refused(let hint):
            let retryAt = now + random.uint(in: 2_000_000...30_000_000)
            guard retryAt < client.deadline else {
                clients[response.client] = client
                complete(response.client, operation: operation, .fail)
                return "client \(response.client) gives up \(request)"
            }
            client.target = client.pinnedNode(at: now) ?? hint ?? random.pick(allNodeIDs)
            client.wakeGeneration += 1
            clients[response.client] = client
            schedule(.clientWake(client: response.client, generation: client.wakeGeneration), after: retryAt - now)
            return "client \(response.client) refused, next n\(client.target)"
        case .failed:
            clients[response.client] = client
            complete(response.client, operation: operation, .fail)
            return "client \(response.client) failed \(request)"
        case .unknown:
            clients[response.client] = client
            complete(response.client, operation: operation, request.isRead ? .fail : .unknown)
            return "client \(response.client) unknown \(request)"
        }
    }

    func clientDeadline(_ index: Int, operation: Int) -> String? {
        guard clients[index].operation == operation else { return nil }
        let request = clients[index].request!
        // A write that may still be in flight or proposed is unknown; a read has no effect.
        complete(index, operation: operation, request.isRead ? .fail : .unknown)
        return "client \(index) timed out \(request)"
    }

    private func complete(_ index: Int, operation: Int, _ outcome: ClientOutcome) {
        history[operation].outcome = outcome
        history[operation].completedAt = nextHistoryTime()
        clients[index].operation = nil
        clients[index].request = nil
        clients[index].attemptInFlight = false
        clients[index].wakeGeneration += 1
        if clients[index].isProbe, case .ok = outcome { return }
        guard phase == .faults || clients[index].isProbe else { return }
        let think = clients[index].isProbe ? 5_000_000 : random.uint(in: 0...40_000_000)
        schedule(.clientWake(client: index, generation: clients[index].wakeGeneration), after: think)
    }

    /// Starts the liveness probe: a client that writes until one write is acknowledged.
    func startProbe() {
        guard probeClient == nil else { return }
        var probe = SimClient(id: clients.count, target: random.pick(allNodeIDs), keyCount: options.keyCount)
        probe.isProbe = true
        clients.append(probe)
        probeClient = probe.id
        issue(probe.id)
    }
}
