import Foundation
import Raft
@testable import RaftFileStore
import RaftTesting
import Testing

/// Protocol-aware recovery end to end: a follower's acknowledged data rots on disk, the node
/// refuses to open, the operator repairs it and restarts it with `storageLost: true`; it is
/// repaired from the leader and does not vote until `resumeVoting()`.
///
/// Part of the (serialized) durable-cluster suite, so two file-backed clusters never compete
/// for the CPU.
extension DurableClusterTests {
    /// Writes through whichever node leads, following leader changes (puts are idempotent).
    static func write(_ command: KVCommand, on nodes: [Node]) async throws {
        for _ in 0..<50 {
            let leader = try await leader(of: nodes)
            do {
                _ = try await leader.write(command)
                return
            } catch {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        throw ClusterError.noLeader
    }

    /// Flips one bit inside the record of entry `index` in the newest segment holding it.
    static func flipBit(inEntry index: LogIndex, logDirectory directory: String) throws -> String? {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { SegmentNaming.sequence(of: $0) != nil }.sorted()
        for name in names.reversed() {
            let url = URL(fileURLWithPath: Paths.join(directory, name))
            var bytes = [UInt8](try Data(contentsOf: url))
            guard let offset = SegmentInspector.offset(ofEntry: index, in: bytes) else { continue }
            bytes[offset + RecordLayout.headerSize + 3] ^= 0x10
            try Data(bytes).write(to: url)
            return name
        }
        return nil
    }

    @Test func corruptFollowerIsRepairedFromTheLeaderAndVotesOnlyAfterResume() async throws {
        let directory = TemporaryDirectory("repair-cluster")
        defer { directory.remove() }
        let router = InProcessRouter<KVTypes>()
        var nodes: [Node] = []
        for id: NodeID in 1...3 { nodes.append(try await Self.start(id, in: directory, router: router)) }
        try await nodes[0].raft.initialize(Membership(voters: [1: "a", 2: "b", 3: "c"]))
        for index in 0..<40 { try await Self.write(.put(key: "k\(index)", value: "\(index)"), on: nodes) }
        var last = try await Self.leader(of: nodes).metrics.lastLogIndex
        for node in nodes { try await node.raft.wait(until: .appliedIndex(atLeast: last), timeout: .seconds(10)) }

        // Stop a follower and rot a bit of an entry it acknowledged.
        let leaderID = try await Self.leader(of: nodes).id
        let victim = nodes.first { $0.raft.id != leaderID }!
        let victimID = victim.raft.id
        let logDirectory = Self.logDirectory(victimID, in: directory)
        let damagedIndex = victim.raft.metrics.lastLogIndex - 5
        #expect(damagedIndex > victim.raft.metrics.purged.indexOrZero)
        await Self.stop(victim, router: router)
        nodes.removeAll { $0.raft.id == victimID }
        let damagedSegment = try #require(try Self.flipBit(inEntry: damagedIndex, logDirectory: logDirectory))

        do {
            _ = try FileLogStore<KVTypes>(directory: logDirectory)
            Issue.record("the corrupt log opened")
        } catch {
            #expect(error.isCorruption)
        }

        let report = try FileLogStore<KVTypes>.repair(directory: logDirectory)
        #expect(report.requiresStorageLost)
        #expect(report.firstLostIndex == damagedIndex && report.lastGoodLogID?.index == damagedIndex - 1)
        #expect(report.movedFiles.contains(damagedSegment))
        let folder = try #require(report.damagedFolder)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).contains(damagedSegment), "the damaged file is kept")

        // The cluster moves on while the node is down.
        for index in 40..<50 { try await Self.write(.put(key: "k\(index)", value: "\(index)"), on: nodes) }
        last = try await Self.leader(of: nodes).metrics.lastLogIndex

        let repaired = try await Self.start(victimID, in: directory, router: router, storageLost: true)
        nodes.append(repaired)
        #expect(repaired.raft.metrics.votingSuspended)
        try await repaired.raft.wait(until: .appliedIndex(atLeast: last), timeout: .seconds(10))
        let values = repaired.stateMachine.state.values
        for index in 0..<50 { #expect(values["k\(index)"] == "\(index)", "k\(index) on the repaired node") }
        #expect(repaired.raft.metrics.votingSuspended, "catching up does not resume voting")

        // Without the leader, the healthy node cannot win: the suspended node refuses its vote
        // and never campaigns itself.
        let currentLeader = try await Self.leader(of: nodes)
        #expect(currentLeader.id != victimID)
        let healthy = nodes.first { $0.raft.id != currentLeader.id && $0.raft.id != victimID }!
        await Self.stop(nodes.first { $0.raft.id == currentLeader.id }!, router: router)
        nodes.removeAll { $0.raft.id == currentLeader.id }
        let deadline = ContinuousClock.now + .milliseconds(1200)  // three maximal election timeouts
        while ContinuousClock.now < deadline {
            #expect(!healthy.raft.metrics.isLeader, "elected without a quorum of votes")
            #expect(repaired.raft.metrics.state == .follower, "the suspended node campaigned")
            try await Task.sleep(for: .milliseconds(20))
        }

        repaired.raft.resumeVoting()
        _ = try await repaired.raft.wait(until: MetricsCondition("voting resumed") { !$0.votingSuspended }, timeout: .seconds(5))
        try await Self.write(.put(key: "after-repair", value: "yes"), on: nodes)
        let committed = try await Self.leader(of: nodes).metrics.lastLogIndex
        for node in nodes {
            try await node.raft.wait(until: .appliedIndex(atLeast: committed), timeout: .seconds(5))
            #expect(node.stateMachine.state.values["after-repair"] == "yes")
        }
        for node in nodes { await Self.stop(node, router: router) }
    }
}
