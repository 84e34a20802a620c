import Testing
@testable import RaftCore

/// Requests that must not be honoured: stale leaders and candidates, malformed appends, and
/// appends that would remove committed entries. Node 3 is driven by hand; it follows leader 2
/// of term 2 and holds `bootstrap + c3...c5`, committed through 4.
@Suite("Bad input: stale and malformed requests")
struct StaleAndMalformedRequestTests {
    private let currentVote = Vote.leader(LeaderID(term: 2, nodeID: 2))

    private func follower() -> ManualCluster {
        let cluster = ManualCluster(ids: [3])
        let log = bootstrapEntries() + [TestEntry(logID: lid(2, 2, 3), payload: .command("c3"))] + commandEntries(term: 2, leader: 2, 4...5)
        cluster.inject(appendRequest(term: 2, leader: 2, prev: nil, log, commit: lid(2, 2, 4)), from: 2, to: 3)
        cluster.inFlight.removeAll()
        return cluster
    }

    private struct Snapshot: Equatable {
        var vote: Vote
        var log: [LogID]
        var committed: LogID?
        var applied: LogID?
        var membership: LogID?
    }

    private func state(_ cluster: ManualCluster) -> Snapshot {
        Snapshot(vote: cluster.nodes[3]!.storedVote, log: cluster.storedLogIDs(3), committed: cluster[3].committed, applied: cluster[3].applied, membership: cluster[3].effectiveMembership.logID)
    }

    private func answers(_ cluster: ManualCluster, to sender: NodeID) -> [RaftMessage<TestTypes>] {
        cluster.inFlightMessages(from: 3, to: sender)
    }

    @Test func staleTermAppendIsRejectedWithTheNodesVoteAndChangesNothing() throws {
        let cluster = follower()
        let before = state(cluster)
        // Leader 1 of term 1, deposed, still thinks 3...4 are its entries.
        cluster.inject(appendRequest(term: 1, leader: 1, prev: lid(1, 1, 2), commandEntries(term: 1, leader: 1, 3...4), commit: lid(1, 1, 4)), from: 1, to: 3)
        #expect(answers(cluster, to: 1).compactMap(\.appendResponse) == [AppendEntriesResponse(vote: currentVote, rpcID: 900, outcome: .rejected)])
        #expect(state(cluster) == before)
        #expect(cluster[3].vote == currentVote)
    }

    @Test func staleTermVoteRequestIsDeniedWithTheNodesVoteAndChangesNothing() throws {
        let cluster = follower()
        let before = state(cluster)
        for isPreVote in [true, false] {
            let request = VoteRequest(vote: Vote(term: 1, votedFor: 1), lastLogID: lid(1, 1, 100), isPreVote: isPreVote, rpcID: 5)
            cluster.inject(.vote(request), from: 1, to: 3)
        }
        let responses = answers(cluster, to: 1).compactMap(\.voteResponse)
        #expect(responses.count == 2)
        #expect(responses.allSatisfy { !$0.granted && $0.vote == currentVote })
        #expect(state(cluster) == before)
    }

    @Test func sameTermVoteForAnotherCandidateIsDeniedInStandardMode() throws {
        let cluster = ManualCluster(ids: [3], config: .testing { $0.leaderIDMode = .standard })
        let request = VoteRequest(vote: Vote(term: 4, votedFor: 1), lastLogID: nil, isPreVote: false, rpcID: 1)
        cluster.inject(.vote(request), from: 1, to: 3)
        #expect(cluster.inFlightMessages(from: 3, to: 1).compactMap(\.voteResponse).first?.granted == true)
        let rival = VoteRequest(vote: Vote(term: 4, votedFor: 2), lastLogID: nil, isPreVote: false, rpcID: 2)
        cluster.inject(.vote(rival), from: 2, to: 3)
        #expect(cluster.inFlightMessages(from: 3, to: 2).compactMap(\.voteResponse).first?.granted == false)
        #expect(cluster[3].vote == Vote(term: 4, votedFor: 1))
    }

    @Test func staleTermSnapshotIsRejectedWithTheNodesVoteAndNotInstalled() throws {
        let cluster = follower()
        let before = state(cluster)
        let meta = SnapshotMeta<TestTypes>(lastLogID: lid(1, 1, 50), lastMembership: StoredMembership(logID: lid(0, 0, 1), membership: membership([1, 2, 3])), snapshotID: "stale")
        cluster.inject(.installSnapshot(InstallSnapshotRequest(vote: .leader(LeaderID(term: 1, nodeID: 1)), meta: meta, rpcID: 8)), from: 1, to: 3)
        #expect(answers(cluster, to: 1).compactMap(\.installSnapshotResponse) == [InstallSnapshotResponse(vote: currentVote, rpcID: 8, outcome: .rejected)])
        #expect(cluster.nodes[3]!.snapshot == nil)
        #expect(state(cluster) == before)
    }

    @Test func messageFromItselfIsIgnored() throws {
        let cluster = follower()
        let before = state(cluster)
        cluster.inject(appendRequest(term: 9, leader: 3, prev: lid(2, 2, 5), commandEntries(term: 9, leader: 3, 6...6), commit: lid(9, 3, 6)), from: 3, to: 3)
        cluster.inject(.vote(VoteRequest(vote: Vote(term: 9, votedFor: 3), lastLogID: nil, isPreVote: false, rpcID: 2)), from: 3, to: 3)
        #expect(cluster.inFlight.isEmpty)
        #expect(state(cluster) == before)
        #expect(cluster.events(3).filter { $0 == .rejectedMessage(from: 3, reason: "message from itself") }.count == 2)
    }

    @Test func appendWithNonContiguousEntriesIsRejectedWithoutChange() throws {
        let cluster = follower()
        let before = state(cluster)
        let gap = [TestEntry(logID: lid(2, 2, 6), payload: .command("x")), TestEntry(logID: lid(2, 2, 8), payload: .command("y"))]
        cluster.inject(appendRequest(term: 2, leader: 2, prev: lid(2, 2, 5), gap, commit: lid(2, 2, 8)), from: 2, to: 3)
        #expect(state(cluster) == before)
        let response = try #require(answers(cluster, to: 2).compactMap(\.appendResponse).first)
        if case .success = response.outcome { Issue.record("a malformed append was acknowledged") }
        #expect(cluster.events(3).contains { if case .rejectedMessage(2, _) = $0 { true } else { false } })
    }

    @Test func appendCarryingEntriesOfANewerLeaderThanItsOwnVoteIsRejected() throws {
        let cluster = follower()
        let before = state(cluster)
        // Leader 2 of term 2 cannot have written entries of term 3.
        cluster.inject(appendRequest(term: 2, leader: 2, prev: lid(2, 2, 5), commandEntries(term: 3, leader: 1, 6...6), commit: lid(2, 2, 5)), from: 2, to: 3)
        #expect(state(cluster) == before)
        if case .success = answers(cluster, to: 2).compactMap(\.appendResponse).first?.outcome { Issue.record("acknowledged") }
    }

    @Test func appendWhoseEntriesGoBackToAnOlderLeaderIsRejected() throws {
        let cluster = follower()
        let before = state(cluster)
        let entries = [TestEntry(logID: lid(2, 2, 6), payload: .command("x")), TestEntry(logID: lid(1, 1, 7), payload: .command("y"))]
        cluster.inject(appendRequest(term: 2, leader: 2, prev: lid(2, 2, 5), entries, commit: nil), from: 2, to: 3)
        #expect(state(cluster) == before)
    }

    @Test func appendThatWouldReplaceACommittedEntryIsRefused() throws {
        let cluster = follower()
        let before = state(cluster)
        // Leader 4 of term 4 claims index 4 (committed here) holds one of its entries.
        cluster.inject(appendRequest(term: 4, leader: 4, prev: lid(2, 2, 3), commandEntries(term: 4, leader: 4, 4...6), commit: lid(4, 4, 6)), from: 4, to: 3)
        #expect(cluster.storedLogIDs(3) == before.log, "committed entries are never truncated")
        #expect(cluster[3].committed == before.committed)
        #expect(cluster.appliedCommands(3) == ["c3", "c4"])
        if case .success = answers(cluster, to: 4).compactMap(\.appendResponse).first?.outcome { Issue.record("acknowledged") }
        #expect(cluster.events(3).contains(.rejectedMessage(from: 4, reason: "append conflicts with a committed entry")))

        // The same leader may replace the uncommitted entry 5.
        cluster.inject(appendRequest(term: 4, leader: 4, prev: lid(2, 2, 4), commandEntries(term: 4, leader: 4, 5...5), commit: lid(4, 4, 5)), from: 4, to: 3)
        #expect(cluster[3].lastLogID == lid(4, 4, 5))
        #expect(cluster.appliedCommands(3) == ["c3", "c4", "c5"])
    }

    /// Regression: a malformed append was checked only after its vote had been adopted, so a
    /// garbled request from a "newer leader" moved the node's term and leader.
    @Test func malformedAppendFromANewerLeaderDoesNotMoveTheVote() throws {
        let cluster = follower()
        let before = state(cluster)
        let gap = [TestEntry(logID: lid(7, 1, 6), payload: .command("x")), TestEntry(logID: lid(7, 1, 9), payload: .command("y"))]
        cluster.inject(appendRequest(term: 7, leader: 1, prev: lid(2, 2, 5), gap, commit: lid(7, 1, 9)), from: 1, to: 3)
        #expect(state(cluster) == before)
        #expect(cluster[3].vote == currentVote)
        #expect(cluster[3].currentLeader == 2)
        let response = try #require(answers(cluster, to: 1).compactMap(\.appendResponse).first)
        #expect(response.vote == currentVote)
        if case .success = response.outcome { Issue.record("acknowledged") }
    }
}
