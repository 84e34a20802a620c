import Testing
@testable import RaftCore

/// Duplicated, reordered and stray messages, and transport reports about unknown requests,
/// are harmless.
@Suite("Bad input: duplicates, reordering and strays")
struct DuplicateAndStrayMessageTests {
    @Test func duplicatedOlderAppendDoesNotTruncateNewerEntries() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        try cluster.propose(["b"], on: 1)
        cluster.stabilize()
        let appendsTo2 = cluster.deliveredMessages(from: 1, to: 2).filter(\.isAppendWithEntries)
        let older = try #require(appendsTo2.first { $0.appendRequest!.entries.contains { $0.payload.isCommand("a") } })
        let logBefore = cluster.storedLogIDs(2)
        let matchedBefore = cluster[1].replication[2]?.matched

        // The network delivers the older append again, and its answer twice.
        cluster.inject(older, from: 1, to: 2)
        #expect(cluster.storedLogIDs(2) == logBefore)
        let answer = try #require(cluster.inFlightMessages(from: 2, to: 1).last)
        cluster.inject(answer, from: 2, to: 1)
        cluster.inject(answer, from: 2, to: 1)
        cluster.stabilize()
        #expect(cluster[1].replication[2]?.matched == matchedBefore)
        #expect(cluster[1].replication[2]?.mode == .replicate)
        #expect(!cluster.events(1).contains { if case .followerLogReverted = $0 { true } else { false } })
        #expect(cluster.appliedCommands(2) == ["a", "b"])
    }

    @Test func reorderedAppendsAndResponsesConvergeWithEveryEntryAppliedOnce() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        for command in ["a", "b", "c"] { try cluster.propose([command], on: 1) }
        cluster.processAll()
        // Deliver 1's messages to 2 newest first, then the answers newest first.
        let toTwo = cluster.inFlight.filter { $0.from == 1 && $0.to == 2 }
        cluster.inFlight.removeAll { $0.from == 1 && $0.to == 2 }
        for item in toTwo.reversed() { cluster.inject(item.message, from: 1, to: 2) }
        let answers = cluster.inFlight.filter { $0.from == 2 && $0.to == 1 }
        cluster.inFlight.removeAll { $0.from == 2 && $0.to == 1 }
        for item in answers.reversed() { cluster.inject(item.message, from: 2, to: 1) }
        cluster.run(for: .milliseconds(400))

        for id: NodeID in [1, 2, 3] {
            #expect(cluster.appliedCommands(id) == ["a", "b", "c"], "node \(id)")
            #expect(cluster.storedLogIDs(id) == cluster.storedLogIDs(1), "node \(id)")
        }
        #expect(cluster[1].replication[2]?.matched == cluster[1].lastLogID)
    }

    @Test func responsesFromUnknownPeersAreIgnored() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        let entry = try #require(try cluster.propose(["a"], on: 1))
        cluster.stabilize(holding: [2, 3])
        let replication = cluster[1].replication
        let vote = cluster[1].vote
        cluster.inject(.appendEntriesResponse(AppendEntriesResponse(vote: vote, rpcID: 1, outcome: .success(matched: entry))), from: 9, to: 1)
        cluster.inject(.installSnapshotResponse(InstallSnapshotResponse(vote: vote, rpcID: 1, outcome: .installed(matched: entry))), from: 9, to: 1)
        cluster.inject(.voteResponse(VoteResponse(vote: vote, granted: true, isPreVote: false, requestTerm: vote.term, lastLogID: entry, rpcID: 1)), from: 9, to: 1)
        #expect(cluster[1].replication == replication)
        #expect(cluster[1].committed.indexOrZero < entry.index, "a stranger's acknowledgement commits nothing")
        #expect(cluster[1].isLeader)
    }

    @Test func deliveryFailureForAnUnknownRequestIsIgnored() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.propose(["a"], on: 1)
        cluster.stabilize()
        let replication = cluster[1].replication
        cluster.with(1) {
            $0.deliveryFailed(to: 2, rpcID: 123_456)
            $0.deliveryFailed(to: 9, rpcID: 1)
        }
        cluster.with(2) { $0.deliveryFailed(to: 1, rpcID: 1) }
        #expect(cluster[1].replication == replication)
        // No back-off was started: the next entry goes out at once.
        try cluster.propose(["b"], on: 1)
        #expect(cluster.inFlightMessages(from: 1, to: 2).contains { $0.isAppendWithEntries })
    }

    @Test func snapshotOlderThanTheFollowersOwnSnapshotIsAnsweredWithoutInstalling() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        for command in ["a", "b", "c", "d"] { try cluster.propose([command], on: 1) }
        cluster.stabilize()
        cluster.compact(2)
        let purged = try #require(cluster[2].lastPurgedLogID)
        let ownSnapshot = cluster.nodes[2]!.snapshot?.meta
        let log = cluster.storedLogIDs(2)

        let old = SnapshotMeta(lastLogID: lid(1, 1, 3), lastMembership: cluster[2].committedMembership, snapshotID: "old")
        cluster.inject(.installSnapshot(InstallSnapshotRequest(vote: cluster[1].vote, meta: old, rpcID: 5)), from: 1, to: 2)
        #expect(cluster.inFlightMessages(from: 2, to: 1).compactMap(\.installSnapshotResponse).map(\.outcome) == [.installed(matched: lid(1, 1, 3))])
        #expect(cluster.nodes[2]!.snapshot?.meta == ownSnapshot)
        #expect(cluster[2].lastPurgedLogID == purged)
        #expect(cluster.storedLogIDs(2) == log)
        #expect(cluster.appliedCommands(2) == ["a", "b", "c", "d"])
    }
}

extension EntryPayload where T == TestTypes {
    func isCommand(_ command: String) -> Bool {
        if case .command(let value) = self { return value == command }
        return false
    }
}
