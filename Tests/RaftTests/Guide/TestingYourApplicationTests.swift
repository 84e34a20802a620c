import Raft
import RaftTesting
import Synchronization
import Testing

/// A chaos test of an application: three nodes of the real runtime with the application's
/// own state machine (here the example key-value store), clients writing and reading through
/// the leader while a nemesis cuts one node off after another, and every operation recorded.
/// The linearizability checker then decides whether what the clients saw is consistent with
/// one register per key.
func runChaos(config: RaftConfig, operationsPerClient: Int) async throws -> LinearizabilityResult<KVModel<String, String>> {
    let router = InProcessRouter<KVTypes>()
    var nodes: [NodeID: RaftNode<KVTypes>] = [:]
    var machines: [NodeID: MemoryKVStateMachine] = [:]
    for id: NodeID in 1...3 {
        machines[id] = MemoryKVStateMachine()
        nodes[id] = try await RaftNode.start(
            id: id, config: config, logStore: MemoryLogStore<KVTypes>(), stateMachine: machines[id]!, network: router.network(for: id))
        router.register(nodes[id]!)
    }
    try await nodes[1]!.initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
    try await nodes[1]!.wait(until: .leader(), timeout: .seconds(10))

    let recorder = HistoryRecorder()
    let cluster = nodes, stateMachines = machines
    let nemesis = Task {
        var victim: NodeID = 1
        while !Task.isCancelled {
            router.isolate(victim)
            try? await Task.sleep(for: .milliseconds(300))
            router.heal(victim)
            try? await Task.sleep(for: .milliseconds(300))
            victim = victim % 3 + 1
        }
    }
    await withTaskGroup(of: Void.self) { clients in
        for client: UInt64 in 1...3 {
            clients.addTask {
                for step in 0..<operationsPerClient {
                    let key = "key-\(step % 2)"
                    let target = cluster.values.first { $0.metrics.isLeader } ?? cluster[1]!
                    if step % 3 == 0 {
                        // A linearizable read: confirm leadership, then read the node's state.
                        let id = recorder.invoke(client: client, .read(key))
                        do {
                            try await target.ensureLinearizable(timeout: .seconds(1))
                            recorder.complete(id, .ok(.read(stateMachines[target.id]!.value(forKey: key))))
                        } catch {
                            recorder.complete(id, .fail)  // a read that failed changed nothing
                        }
                    } else {
                        let value = "\(client)-\(step)"
                        let id = recorder.invoke(client: client, .write(key, value))
                        do throws(RaftError<String>) {
                            _ = try await target.write(.put(key: key, value: value), timeout: .seconds(1))
                            recorder.complete(id, .ok(.written))
                        } catch {
                            recorder.complete(id, error.mayHaveBeenApplied ? .unknown : .fail)
                        }
                    }
                }
            }
        }
    }
    nemesis.cancel()
    router.healAll()
    for node in nodes.values { await node.shutdown() }
    return await LinearizabilityChecker(model: KVModel<String, String>()).check(recorder.history)
}

/// Records operations from concurrent clients, stamping each event with its own logical time.
final class HistoryRecorder: Sendable {
    private let state = Mutex((history: History<KVModel<String, String>.Input, KVModel<String, String>.Output>(), clock: UInt64(0)))

    func invoke(client: UInt64, _ input: KVModel<String, String>.Input) -> OperationID {
        state.withLock { state in
            state.clock += 1
            return state.history.invoke(client: client, input: input, at: state.clock)
        }
    }

    func complete(_ id: OperationID, _ outcome: OperationOutcome<KVModel<String, String>.Output>) {
        state.withLock { state in
            state.clock += 1
            state.history.complete(id, outcome: outcome, at: state.clock)
        }
    }

    var history: History<KVModel<String, String>.Input, KVModel<String, String>.Output> { state.withLock { $0.history } }
}

/// The deterministic simulator: the real engine in simulated time, under every fault class,
/// with Raft's safety properties checked after every step. One seed is one exactly
/// repeatable run; a failing seed is replayed with `swift run raft-sim --seed <seed>`.
func simulate(seeds: ClosedRange<UInt64>, nodes: Int) -> [SimulationReport] {
    var options = SimulationOptions()
    options.nodeCount = nodes
    options.faults = .all
    return seeds.map { Simulation.run(seed: $0, options: options) }
}

extension GuideSuites {
    @Suite("Guide: Testing your application")
    struct TestingYourApplicationTests {
        @Test func operationsUnderANemesisAreLinearizable() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let result = try await runChaos(config: withGenerousTimeouts(), operationsPerClient: 30)
                #expect(result.isLinearizable, "\(result.verdict)")
                #expect(result.partitions.map(\.operations).reduce(0, +) > 0, "the history has operations to check")
            }
        }

        @Test func simulatedSeedsPassAndRepeatExactly() {
            let reports = simulate(seeds: 1...2, nodes: 3)
            #expect(reports.allSatisfy { $0.passed }, "\(reports.compactMap(\.violation))")
            #expect(simulate(seeds: 1...1, nodes: 3)[0].traceHash == reports[0].traceHash)
        }
    }
}
