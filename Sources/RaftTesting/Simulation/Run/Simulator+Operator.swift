import RaftCore

/// The operator: membership changes, leadership transfers and snapshot/purge triggers during
/// the fault phase; re-admission of nodes that lost their data; and, once faults heal, the
/// liveness probe.
extension Simulator {
    /// The node that leads the greatest leadership, if any (a deposed leader may not know yet).
    func currentLeader() -> SimNode? {
        var best: SimNode?
        for node in nodes {
            guard let engine = node.engine, engine.isLeader, let id = engine.leaderID else { continue }
            if best == nil || best!.engine!.leaderID! < id { best = node }
        }
        return best
    }

    func handleReply(_ token: RequestToken, _ reply: EngineReply, on node: SimNode) {
        guard let use = tokenUses.removeValue(forKey: token) else {
            fail("engine contract", "node \(node.id) answered unknown token \(token)")
            return
        }
        switch (use, reply) {
        case let (.clientRead(read), .readIndex(result)):
            serveRead(read, result: result, on: node)
        case (.membershipChange, .membershipChange(let result)):
            if pendingChange?.token == token { pendingChange = nil }
            note("membership change \(result)")
        case (.leaderTransfer, .leaderTransfer(let result)):
            if pendingTransfer?.token == token { pendingTransfer = nil }
            note("leader transfer \(result)")
        default:
            fail("engine contract", "node \(node.id) answered token \(token) with \(reply)")
        }
    }

    func newToken(_ use: TokenUse) -> RequestToken {
        let token = nextToken
        nextToken += 1
        tokenUses[token] = use
        return token
    }

    func operatorStep() -> String {
        guard phase != .done else { return "operator done" }
        schedule(.operatorStep, after: random.uint(in: 20_000_000...60_000_000))
        if let change = pendingChange, now > change.startedAt + 2_000_000_000 { pendingChange = nil }
        if let transfer = pendingTransfer, now > transfer.startedAt + 2_000_000_000 { pendingTransfer = nil }
        if phase == .healing, let done = checkRecovered() { return done }
        if commits.committedIndex == 0, let retry = reinitialize() { return retry }
        guard let leader = currentLeader() else { return "operator: no leader" }
        if let readmission = readmitStep(leader: leader) ?? promoteStep(leader: leader) { return readmission }
        guard phase == .faults else { return "operator waits" }
        return randomOperation(leader: leader)
    }

    /// Calls `initialize` on a node of the initial cluster (as an operator setting it up).
    func initialize(_ node: SimNode) {
        guard let membership = initialMembership else { return }
        input(node) { engine in
            do throws(InitializeError) {
                try engine.initialize(membership)
            } catch {
                if case .alreadyInitialized = error { return }
                self.fail("initialize", "node \(node.id): \(error)")
            }
        }
    }

    /// Before the cluster has committed anything, an initializing node whose first entry was
    /// lost (a disk error before its first sync) is initialized again, as an operator would.
    private func reinitialize() -> String? {
        let pristine = initializers.filter { node($0).engine.map { !$0.isInitialized } ?? false }
        guard !pristine.isEmpty, initializers.allSatisfy({ node($0).engine.map { !$0.isInitialized } ?? true }) else { return nil }
        for id in pristine { initialize(node(id)) }
        return "operator: initialize \(pristine) again"
    }
}
