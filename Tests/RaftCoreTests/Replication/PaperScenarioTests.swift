import Testing
@testable import RaftCore

/// The Raft paper's §5.3–5.4 scenarios, driven through the real engines.
@Suite("Raft paper scenarios")
struct PaperScenarioTests {
    /// Figure 7: a leader of term 8 brings followers with missing, extra and conflicting
    /// entries to its own log, skipping whole terms while back-tracking.
    @Test func figure7FollowerLogsConvergeToTheLeaders() throws {
        let members: Set<NodeID> = [1, 2, 3, 4, 5, 6, 7]
        let shapes: [NodeID: [Term]] = [
            1: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
            2: [1, 1, 1, 4, 4, 5, 5, 6, 6],          // (a) missing one
            3: [1, 1, 1, 4],                          // (b) missing many
            4: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],    // (c) one extra, uncommitted
            5: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // (d) extra entries of a later term
            6: [1, 1, 1, 4, 4, 4, 4],                // (e) conflicting term-4 entries
            7: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],    // (f) a leader of terms 2–3 that never committed
        ]
        let cluster = ManualCluster(ids: [])
        for (id, terms) in shapes {
            cluster.addRecoveredNode(id, entries: logWithTerms(terms, members: members), vote: Vote(term: 7, votedFor: 107, committed: true))
        }
        // Restarted nodes wait out their old leader's possible lease before voting.
        cluster.advance(by: cluster.config.electionTimeoutMin)
        cluster.with(1) { $0.triggerElection() }
        cluster.stabilize()
        #expect(cluster.leaders == [1])
        let leaderLog = cluster.storedLogIDs(1)
        #expect(leaderLog.count == 11, "ten entries plus the new leader's blank entry")
        for id: NodeID in 2...7 {
            #expect(cluster.storedLogIDs(id) == leaderLog, "follower \(id)")
        }
        // Back-tracking skips conflicting terms at once: follower (f) needs two probes, not seven.
        let appendsToF = cluster.delivered.filter { $0.to == 7 && $0.message.appendRequest != nil }.count
        #expect(appendsToF <= 4)
    }

    /// Figure 8 / field lesson 26: an entry of an earlier term stored on a majority is not
    /// committed by counting; it commits only with an entry of the leader's own term.
    @Test func figure8OlderTermEntriesCommitOnlyThroughACurrentTermEntry() throws {
        let members: Set<NodeID> = [1, 2, 3, 4, 5]
        let config = EngineConfig.testing { $0.maxEntriesPerMessage = 1; $0.maxInflightMessages = 1 }
        let cluster = ManualCluster(ids: [], config: config)
        let base = logWithTerms([1], members: members)
        let term2Entry = TestEntry(logID: lid(2, 1, 2), payload: .command("from S1 in term 2"))
        let term3Entry = TestEntry(logID: lid(3, 5, 2), payload: .command("from S5 in term 3"))
        cluster.addRecoveredNode(1, entries: base + [term2Entry], vote: Vote(term: 2, votedFor: 1, committed: true), committed: base[0].logID)
        cluster.addRecoveredNode(2, entries: base + [term2Entry], vote: Vote(term: 2, votedFor: 1, committed: true), committed: base[0].logID)
        cluster.addRecoveredNode(3, entries: base, vote: Vote(term: 3, votedFor: 5, committed: true), committed: base[0].logID)
        cluster.addRecoveredNode(4, entries: base, vote: Vote(term: 3, votedFor: 5, committed: true), committed: base[0].logID)
        cluster.addRecoveredNode(5, entries: base + [term3Entry], vote: Vote(term: 3, votedFor: 5, committed: true), committed: base[0].logID)
        cluster.isolated = [5]
        // Restarted nodes wait out their old leader's possible lease before voting.
        cluster.advance(by: cluster.config.electionTimeoutMin)
        cluster.with(1) { $0.triggerElection() }

        var sawMajorityWithoutCommit = false
        for _ in 0..<500 {
            if !cluster.leaders.isEmpty && cluster.inFlight.isEmpty { break }
            if cluster.inFlight.isEmpty { cluster.advance(by: .milliseconds(10)) }
            cluster.deliverRound()
            guard let leaderID = cluster.leaders.first else { continue }
            // S1 or S2 wins (both hold the term-2 entry); the rule is the same for either.
            let leaderTerm = cluster[leaderID].vote.term
            let holders = (1...4).filter { cluster.nodes[NodeID($0)]!.storedEntry(at: 2)?.logID == term2Entry.logID }
            let holdersOfNewTerm = (1...4).filter { cluster.nodes[NodeID($0)]!.storedEntry(at: 3)?.logID.term == leaderTerm }
            let committed = cluster[leaderID].committed
            if committed.indexOrZero >= 2 {
                #expect(committed!.term == leaderTerm, "commit advanced by counting an older term's entry")
                #expect(holdersOfNewTerm.count >= 3)
            } else if holders.count >= 3 {
                sawMajorityWithoutCommit = true
            }
        }
        let leaderID = try #require(cluster.leaders.first)
        #expect(sawMajorityWithoutCommit, "the scenario must reach the Figure 8 state")
        #expect(cluster[leaderID].committed?.term == cluster[leaderID].vote.term)
        // The term-3 entry S5 holds can never win now: a majority has a newer last entry.
        for id: NodeID in [2, 3, 4] {
            var engine = cluster[id]
            engine.tick(now: cluster.now + .seconds(10))
            engine.receive(.vote(VoteRequest(vote: Vote(term: 9, votedFor: 5), lastLogID: term3Entry.logID, isPreVote: false, rpcID: 1)), from: 5)
            let response = engine.takeCommands().messages.compactMap { $0.to == 5 ? $0.message.voteResponse : nil }.first
            #expect(response?.granted == false, "node \(id)")
        }
    }
}
