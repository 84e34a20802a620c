import Raft
import RaftTesting
import Synchronization
import Testing

/// A state machine that answers one response short for every batch of two or more commands.
final class ShortAnsweringStateMachine: RaftStateMachine {
    let base = MemoryKVStateMachine()
    func appliedState() async throws(StorageError) -> AppliedState<KVTypes> { try await base.appliedState() }
    func apply(_ entries: [Entry<KVTypes>]) async throws(StorageError) -> [KVResponse] {
        let responses = try await base.apply(entries)
        return responses.count >= 2 ? Array(responses.dropLast()) : responses
    }
    func buildSnapshot() async throws(StorageError) -> Snapshot<KVTypes> { try await base.buildSnapshot() }
    func installSnapshot(_ snapshot: Snapshot<KVTypes>) async throws(StorageError) { try await base.installSnapshot(snapshot) }
    func currentSnapshot() async throws(StorageError) -> Snapshot<KVTypes>? { try await base.currentSnapshot() }
}

/// A log store whose reads silently skip one entry.
final class HoleyLogStore: MemoryBackedLogStore {
    let base = MemoryLogStore<KVTypes>()
    func entries(in range: Range<LogIndex>) async throws(StorageError) -> [Entry<KVTypes>] {
        let entries = try await base.entries(in: range)
        return entries.count > 2 ? entries.enumerated().filter { $0.offset != 1 }.map(\.element) : entries
    }
}

func entry(_ term: Term, _ index: LogIndex, _ command: KVCommand = .put(key: "k", value: "v")) -> Entry<KVTypes> {
    Entry(logID: LogID(term: term, nodeID: 1, index: index), payload: .command(command))
}

@Suite("Defensive checks")
struct DefensiveCheckTests {
    func wrapped() -> (DefensiveLogStorage<KVTypes>, DefensiveStateMachine<KVTypes>) {
        DefensiveChecks.wrap(logStore: MemoryLogStore<KVTypes>(), stateMachine: MemoryKVStateMachine())
    }

    func expectViolation(_ expected: (DefensiveViolation) -> Bool, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected a defensive violation")
        } catch {
            #expect((error as? StorageError)?.violation.map(expected) == true, "got \(error)")
        }
    }

    @Test func voteMustNotGoBackwards() async {
        let (log, _) = wrapped()
        await expectViolation({ if case .voteWentBackwards = $0 { return true } else { return false } }) {
            try await log.saveVote(Vote(term: 5, votedFor: 2))
            try await log.saveVote(Vote(term: 4, votedFor: 2))
        }
    }

    @Test func appendsMustBeContiguous() async {
        let (log, _) = wrapped()
        await expectViolation({ if case .appendNotContiguous(expectedIndex: 3, got: 4) = $0 { return true } else { return false } }) {
            try await log.append([entry(1, 1), entry(1, 2)]) { _ in }
            try await log.append([entry(1, 4)]) { _ in }
        }
    }

    @Test func appendsMustNotGoBackToAnOlderLeader() async {
        let (log, _) = wrapped()
        await expectViolation({ if case .appendLeaderWentBackwards = $0 { return true } else { return false } }) {
            try await log.append([entry(3, 1)]) { _ in }
            try await log.append([entry(2, 2)]) { _ in }
        }
    }

    @Test func purgeMustNotPassWhatIsApplied() async {
        let (log, stateMachine) = wrapped()
        await expectViolation({ if case .purgeBeyondApplied = $0 { return true } else { return false } }) {
            try await log.append([entry(1, 1), entry(1, 2), entry(1, 3)]) { _ in }
            _ = try await stateMachine.appliedState()
            _ = try await stateMachine.apply([entry(1, 1)])
            try await log.purge(upTo: entry(1, 2).logID)
        }
    }

    @Test func entriesMustNotBeAppliedTwiceOrSkipped() async {
        let (_, stateMachine) = wrapped()
        await expectViolation({ if case .reapply = $0 { return true } else { return false } }) {
            _ = try await stateMachine.appliedState()
            _ = try await stateMachine.apply([entry(1, 1), entry(1, 2)])
            _ = try await stateMachine.apply([entry(1, 2)])
        }
        let (_, other) = wrapped()
        await expectViolation({ if case .applyGap = $0 { return true } else { return false } }) {
            _ = try await other.appliedState()
            _ = try await other.apply([entry(1, 2)])
        }
    }

    @Test func committedMustNotGoBackwards() async {
        let (log, _) = wrapped()
        await expectViolation({ if case .committedWentBackwards = $0 { return true } else { return false } }) {
            try await log.saveCommitted(entry(1, 5).logID)
            try await log.saveCommitted(entry(1, 3).logID)
        }
    }

    @Test func aNodeWithAMisbehavingStateMachineStopsWithTheViolation() async throws {
        let (log, stateMachine) = DefensiveChecks.wrap(logStore: MemoryLogStore<KVTypes>(), stateMachine: ShortAnsweringStateMachine())
        let router = InProcessRouter<KVTypes>()
        let node = try await RaftNode.start(id: 1, config: TestCluster.fastConfig(), logStore: log, stateMachine: stateMachine, network: router.network(for: 1))
        try await node.initialize(Membership(voters: [1: "node-1"]))
        try await node.wait(until: .state(.leader), timeout: .seconds(5))
        let results = await node.writeMany([.put(key: "a", value: "1"), .put(key: "b", value: "2"), .put(key: "c", value: "3")])
        for result in results {
            guard case .failure(let error) = result else { Issue.record("writes must fail when the node stops"); continue }
            // Their entries are committed; the state machine, not the log, broke, and the
            // callers learn of what broke.
            guard case .outcomeUnknown(.storageFailed(let cause)) = error else { Issue.record("got \(error)"); continue }
            #expect(cause.violation == .responseCountMismatch(commands: 3, responses: 2))
        }
        try await node.wait(until: .stopped, timeout: .seconds(5))
        guard case .fatal(let error) = node.metrics.runningState else { Issue.record("expected a fatal state"); return }
        #expect(error.violation == .responseCountMismatch(commands: 3, responses: 2))
    }

    @Test func aLogStoreThatLosesEntriesIsCaughtOnRead() async throws {
        let (log, _) = DefensiveChecks.wrap(logStore: HoleyLogStore(), stateMachine: MemoryKVStateMachine())
        try await log.append([entry(1, 1), entry(1, 2), entry(1, 3)]) { _ in }
        await expectViolation({ if case .readHasGap = $0 { return true } else { return false } }) {
            _ = try await log.entries(in: 1..<4)
        }
    }

    @Test func aCorrectClusterRunsCleanUnderDefensiveChecks() async throws {
        let router = InProcessRouter<KVTypes>()
        var nodes: [RaftNode<KVTypes>] = []
        let config = TestCluster.fastConfig { $0.engine.snapshotPolicy = .everyAppliedEntries(10); $0.engine.logsKeptAfterSnapshot = 2; $0.engine.purgeBatchSize = 2 }
        for id: NodeID in 1...3 {
            let (log, stateMachine) = DefensiveChecks.wrap(logStore: MemoryLogStore<KVTypes>(), stateMachine: MemoryKVStateMachine())
            let node = try await RaftNode.start(id: id, config: config, logStore: log, stateMachine: stateMachine, network: router.network(for: id), randomSeed: id)
            router.register(node)
            nodes.append(node)
        }
        try await nodes[0].initialize(Membership(voters: [1: "a", 2: "b", 3: "c"]))
        try await nodes[0].wait(until: .state(.leader), timeout: .seconds(5))
        for index in 0..<40 { try await writeThroughLeader(nodes, .put(key: "k\(index)", value: "v")) }
        let last = nodes.map(\.metrics.lastLogIndex).max()!
        for node in nodes {
            try await node.wait(until: .appliedIndex(atLeast: last), timeout: .seconds(5))
            #expect(node.metrics.runningState == .running)
        }
        #expect(nodes[0].metrics.purged != nil, "snapshots and purges ran under the checks")
        for node in nodes { await node.shutdown() }
    }
}
