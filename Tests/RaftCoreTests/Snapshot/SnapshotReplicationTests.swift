import Testing
@testable import RaftCore

/// A leader sends its snapshot to a peer whose next entry is purged; failures back off and
/// retry, and a peer stuck on a snapshot never holds up the others.
@Suite("Snapshot: sending snapshots to lagging peers")
struct SnapshotReplicationTests {
    /// A cluster whose leader 1 has compacted its log while node `lagging` was cut off.
    private func compactedCluster(lagging: NodeID) throws -> ManualCluster {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.isolated = [lagging]
        for command in ["a", "b", "c", "d", "e", "f"] {
            try cluster.propose([command], on: 1)
            cluster.stabilize()
        }
        cluster.compact(1)
        #expect(cluster[1].lastPurgedLogID == cluster[1].lastLogID)
        return cluster
    }

    @Test func followerWhoseNextEntryIsPurgedGetsTheSnapshotThenEntries() throws {
        let cluster = try compactedCluster(lagging: 3)
        let snapshot = try #require(cluster[1].snapshot)
        cluster.isolated = []
        cluster.heldSnapshotInstalls = [3]
        // The lost appends expire; the retry finds the entries purged.
        cluster.run(for: cluster.config.electionTimeoutMax + .milliseconds(50))
        #expect(cluster[1].replication[3]?.mode == .snapshot)
        #expect(cluster.events(1).contains(.snapshotNeeded(peer: 3)))
        let sent = cluster.deliveredMessages(from: 1, to: 3).compactMap(\.installSnapshotRequest)
        #expect(sent.count == 1)
        #expect(sent.first?.meta == snapshot)

        cluster.completeSnapshotInstall(3)
        cluster.stabilize()
        try cluster.propose(["g"], on: 1)
        cluster.stabilize()
        #expect(cluster[1].replication[3]?.mode == .replicate)
        #expect(cluster[3].lastPurgedLogID == snapshot.lastLogID)
        #expect(cluster.storedLogIDs(3).first?.index == snapshot.lastLogID!.index + 1)
        #expect(cluster.appliedCommands(3) == ["a", "b", "c", "d", "e", "f", "g"])
        #expect(cluster[3].applied == cluster[1].applied)
    }

    @Test func newLearnerJoiningAfterCompactionIsSeededBySnapshot() throws {
        let cluster = try compactedCluster(lagging: 3)
        cluster.isolated = []
        try cluster.addLearners([4], via: 1)
        #expect(cluster.deliveredMessages(from: 1, to: 4).contains { $0.installSnapshotRequest != nil })
        #expect(cluster.appliedCommands(4) == ["a", "b", "c", "d", "e", "f"])
        #expect(cluster[4].effectiveMembership.config == MembershipConfig(voters: [1, 2, 3], learners: [4]))
    }

    /// Field lesson 13: a snapshot that could not be delivered is re-sent, after a back-off
    /// that grows while the peer stays unreachable (no tight resend loop).
    @Test func snapshotDeliveryFailureReturnsPeerToProbeWithBackoffThenResends() throws {
        let cluster = try compactedCluster(lagging: 3)
        cluster.isolated = []
        var attemptTimes: [RaftInstant] = []
        var attemptIDs: [UInt64] = []
        /// Node 3 is unreachable: every message to it fails and the transport says so.
        func failEverythingTo3() {
            while let position = cluster.inFlight.firstIndex(where: { $0.to == 3 }) {
                let message = cluster.inFlight.remove(at: position).message
                if message.installSnapshotRequest != nil {
                    attemptTimes.append(cluster.now)
                    attemptIDs.append(message.rpcID)
                }
                cluster.with(1) { $0.deliveryFailed(to: 3, rpcID: message.rpcID) }
                cluster.stabilize(holding: [3])
            }
        }
        var modeAfterFirstFailure: ReplicationStatus.Mode?
        for _ in 0..<300 {
            cluster.advance(by: .milliseconds(5))
            cluster.stabilize(holding: [3])
            failEverythingTo3()
            if attemptTimes.count == 1 && modeAfterFirstFailure == nil { modeAfterFirstFailure = cluster[1].replication[3]?.mode }
        }
        #expect(modeAfterFirstFailure == .probe)
        #expect(attemptTimes.count >= 3)
        #expect(attemptTimes.count <= 6, "1.5 s with back-off doubling from 50 ms: a handful of attempts, not a loop")
        #expect(Set(attemptIDs).count == attemptIDs.count, "each attempt is a new request")
        var previousGap = Duration.zero
        for (earlier, later) in zip(attemptTimes, attemptTimes.dropFirst()) {
            let gap = later.duration(since: earlier)
            #expect(gap >= cluster.config.minBackoff)
            #expect(gap >= previousGap, "back-off never shrinks while failures continue")
            previousGap = gap
        }

        // Reachable again: the next attempt gets through and 3 catches up.
        cluster.run(for: cluster.config.maxBackoff + .milliseconds(100), step: .milliseconds(20))
        #expect(cluster.appliedCommands(3) == ["a", "b", "c", "d", "e", "f"])
        #expect(cluster[1].replication[3]?.mode == .replicate)
    }

    /// Field lesson 21: an unreachable snapshot receiver does not hold up replication to others.
    @Test func snapshotToUnreachablePeerDoesNotBlockReplicationToOthers() throws {
        let cluster = try compactedCluster(lagging: 3)
        cluster.isolated = []
        let isSnapshotTo3: (NodeID, NodeID, RaftMessage<TestTypes>) -> Bool = { _, to, message in
            to == 3 && message.installSnapshotRequest != nil
        }
        for _ in 0..<100 where cluster[1].replication[3]?.mode != .snapshot {
            cluster.advance(by: .milliseconds(10))
            cluster.stabilize(withholding: isSnapshotTo3)
        }
        #expect(cluster.inFlight.contains { isSnapshotTo3($0.from, $0.to, $0.message) })

        let first = try #require(try cluster.propose(["x", "y"], on: 1))
        cluster.stabilize(withholding: isSnapshotTo3)
        #expect(cluster[1].replication[3]?.mode == .snapshot)
        #expect(cluster[1].committed == lid(first.term, 1, first.index + 1))
        #expect(cluster[1].replication[2]?.matched == cluster[1].lastLogID)
        #expect(cluster.appliedCommands(2).suffix(2) == ["x", "y"])
    }

    /// Regression (lesson 13): a heartbeat lost while a snapshot streams used to put the peer
    /// back to probe; the install that then completed was ignored and a whole new snapshot sent.
    @Test func lostHeartbeatDoesNotAbortASnapshotTransferInProgress() throws {
        let cluster = try compactedCluster(lagging: 3)
        cluster.isolated = []
        let isSnapshotTo3: (NodeID, NodeID, RaftMessage<TestTypes>) -> Bool = { _, to, message in
            to == 3 && message.installSnapshotRequest != nil
        }
        for _ in 0..<100 where cluster[1].replication[3]?.mode != .snapshot {
            cluster.advance(by: .milliseconds(10))
            cluster.stabilize(withholding: isSnapshotTo3)
        }
        cluster.advance(by: cluster.config.heartbeatInterval)
        let heartbeats = cluster.inFlight.filter { $0.to == 3 && $0.message.isHeartbeat }
        #expect(!heartbeats.isEmpty)
        cluster.dropInFlight { _, to, message in to == 3 && message.isHeartbeat }
        for heartbeat in heartbeats { cluster.with(1) { $0.deliveryFailed(to: 3, rpcID: heartbeat.message.rpcID) } }
        #expect(cluster[1].replication[3]?.mode == .snapshot)

        cluster.stabilize()
        cluster.run(for: .milliseconds(200))
        let snapshotsSent = cluster.deliveredMessages(from: 1, to: 3).filter { $0.installSnapshotRequest != nil }
        #expect(snapshotsSent.count == 1)
        #expect(cluster[1].replication[3]?.matched == cluster[1].lastLogID)
        #expect(cluster.appliedCommands(3) == ["a", "b", "c", "d", "e", "f"])
    }
}
