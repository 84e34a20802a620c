import Foundation
import Raft
import RaftFileStore
import RaftTesting
import Testing

/// Steps 1 and 2 for a node whose log refuses to open as corrupt, run while the node is
/// stopped: repair the directory offline, and tell whether the node must restart as a
/// non-voter because an acknowledged entry or its vote may be lost.
func repairIfCorrupt(logDirectory: String) async throws(StorageError) -> Bool {
    do {
        let store = try FileLogStore<KVTypes>(directory: logDirectory)
        await store.close()
        return false
    } catch where error.isCorruption {
        let report = try FileLogStore<KVTypes>.repair(directory: logDirectory)
        print(report)  // what was kept, what was lost, what was moved into damaged-<timestamp>/
        return report.requiresStorageLost
    }
}

/// Step 3: let a node started with `storageLost: true` vote again once that cannot make it
/// vote twice in one term: it has caught up, and the cluster's term has passed the highest
/// term any node had when the storage was lost.
func resumeVotingWhenSafe(_ node: RaftNode<KVTypes>, highestTermAtLoss: Term, caughtUpTo index: LogIndex) async throws {
    try await node.wait(
        until: MetricsCondition("caught up, in a term after \(highestTermAtLoss)") { metrics in
            metrics.appliedIndex >= index && metrics.currentTerm > highestTermAtLoss
        },
        timeout: .seconds(30))
    node.resumeVoting()
}

extension DurableClusterTests {
    @Test func aFollowerWithACorruptLogIsRepairedRejoinsAsANonVoterAndVotesAgain() async throws {
        let directory = TemporaryDirectory("guide-recovery")
        defer { directory.remove() }
        let router = InProcessRouter<KVTypes>()
        var nodes: [Node] = []
        for id: NodeID in 1...3 { nodes.append(try await Self.start(id, in: directory, router: router)) }
        try await nodes[0].raft.initialize(Membership(voters: [1: "a", 2: "b", 3: "c"]))
        for index in 0..<40 { try await Self.write(.put(key: "k\(index)", value: "\(index)"), on: nodes) }
        let leader = try await Self.leader(of: nodes)
        for node in nodes { try await node.raft.wait(until: .appliedIndex(atLeast: leader.metrics.lastLogIndex), timeout: .seconds(10)) }

        // A follower stops, and a bit of an entry it acknowledged rots on disk.
        let victim = nodes.first { $0.raft.id != leader.id }!
        let victimID = victim.raft.id
        let damaged = victim.raft.metrics.lastLogIndex - 3
        await Self.stop(victim, router: router)
        nodes.removeAll { $0.raft.id == victimID }
        _ = try #require(try Self.flipBit(inEntry: damaged, logDirectory: Self.logDirectory(victimID, in: directory)))
        let highestTermAtLoss = nodes.map(\.raft.metrics.currentTerm).max()!

        #expect(try await repairIfCorrupt(logDirectory: Self.logDirectory(victimID, in: directory)))
        let restarted = try await Self.start(victimID, in: directory, router: router, storageLost: true)
        nodes.append(restarted)
        #expect(restarted.raft.metrics.votingSuspended)

        // The cluster's term moves past the loss (a leadership transfer raises it).
        for index in 40..<45 { try await Self.write(.put(key: "k\(index)", value: "\(index)"), on: nodes) }
        let current = try await Self.leader(of: nodes)
        let other = nodes.map(\.raft.id).first { $0 != current.id && $0 != victimID }!
        try await current.transferLeader(to: other, timeout: .seconds(10))
        let newLeader = try await Self.leader(of: nodes)
        try await resumeVotingWhenSafe(restarted.raft, highestTermAtLoss: highestTermAtLoss, caughtUpTo: newLeader.metrics.committed.indexOrZero)
        try await restarted.raft.wait(until: MetricsCondition("voting") { !$0.votingSuspended }, timeout: .seconds(10))
        #expect(restarted.stateMachine.state.values["k44"] == "44")
        for node in nodes { await Self.stop(node, router: router) }
    }
}
