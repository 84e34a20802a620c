import Testing
@testable import RaftCore

@Suite("Elections")
struct ElectionTests {
    /// A pristine member of a 3-node cluster, as a single engine.
    /// A member of a 3-node cluster that restarted long enough ago that its leader's lease
    /// has run out.
    func follower(_ id: NodeID = 2, config: EngineConfig = .testing()) -> TestEngine {
        let entries = logWithTerms([1], members: [1, 2, 3])
        var engine = TestEngine(id: id, config: config, recovered: recoveredState(entries: entries, vote: Vote(term: 1, votedFor: 101, committed: true)), now: RaftInstant(nanoseconds: 1_000_000_000), randomSeed: 1)
        engine.tick(now: RaftInstant(nanoseconds: 1_000_000_000) + config.electionTimeoutMin)
        _ = engine.takeCommands()
        return engine
    }

    /// Leader stickiness survives a restart: a node that knew a leader refuses votes for one
    /// minimum election timeout after starting, since that leader may still hold a lease.
    @Test func restartedFollowerRefusesVotesWhileItsLeaderMayHoldALease() throws {
        let start = RaftInstant(nanoseconds: 1_000_000_000)
        var engine = TestEngine(id: 2, config: .testing(), recovered: recoveredState(entries: logWithTerms([1], members: [1, 2, 3]), vote: Vote(term: 1, votedFor: 101, committed: true)), now: start, randomSeed: 1)
        engine.receive(voteRequest(term: 2, candidate: 3, last: lid(1, 101, 1)), from: 3)
        #expect(engine.takeCommands().messages.first?.message.voteResponse?.granted == false)
        engine.tick(now: start + EngineConfig.testing().electionTimeoutMin)
        _ = engine.takeCommands()
        engine.receive(voteRequest(term: 2, candidate: 3, last: lid(1, 101, 1)), from: 3)
        #expect(engine.takeCommands().savedVotes == [Vote(term: 2, votedFor: 3)])
    }

    func voteRequest(term: Term, candidate: NodeID, last: LogID?, preVote: Bool = false) -> RaftMessage<TestTypes> {
        .vote(VoteRequest(vote: Vote(term: term, votedFor: candidate), lastLogID: last, isPreVote: preVote, rpcID: 77))
    }

    @Test func grantedVoteIsSentOnlyAfterItIsDurable() throws {
        var engine = follower()
        engine.receive(voteRequest(term: 2, candidate: 3, last: lid(1, 101, 1)), from: 3)
        let commands = engine.takeCommands()
        #expect(commands.savedVotes == [Vote(term: 2, votedFor: 3)])
        #expect(commands.messages.isEmpty, "the grant must wait for the vote to be durable")
        let io = try #require(commands.compactMap { if case .saveVote(_, let io) = $0 { return io } else { return nil } }.first)
        engine.logIOFlushed(upTo: io)
        let after = engine.takeCommands()
        let response = try #require(after.messages.first?.message.voteResponse)
        #expect(response.granted)
        #expect(after.messages.first?.to == 3)
    }

    /// Field lesson 3: a higher last term beats a longer log.
    @Test func candidateWithOlderLastTermIsDeniedEvenWithALongerLog() throws {
        var engine = TestEngine(id: 2, config: .testing(), recovered: recoveredState(entries: logWithTerms([1, 3], members: [1, 2, 3]), vote: Vote(term: 3, votedFor: 103, committed: true)), now: .zero, randomSeed: 1)
        engine.tick(now: .zero + EngineConfig.testing().electionTimeoutMin)
        _ = engine.takeCommands()
        engine.receive(voteRequest(term: 4, candidate: 3, last: lid(2, 102, 9)), from: 3)
        let response = try #require(engine.takeCommands().messages.first?.message.voteResponse)
        #expect(!response.granted)
        #expect(engine.vote.votedFor == nil, "the term is adopted without voting")
        engine.receive(voteRequest(term: 4, candidate: 1, last: lid(3, 103, 2)), from: 1)
        let commands = engine.takeCommands()
        #expect(commands.savedVotes == [Vote(term: 4, votedFor: 1)])
    }

    @Test func standardModeGrantsOneVotePerTerm() throws {
        var engine = follower(config: .testing { $0.leaderIDMode = .standard })
        engine.receive(voteRequest(term: 5, candidate: 1, last: lid(1, 101, 1)), from: 1)
        _ = engine.takeCommands()
        engine.receive(voteRequest(term: 5, candidate: 3, last: lid(1, 101, 1)), from: 3)
        let commands = engine.takeCommands()
        #expect(commands.savedVotes.isEmpty)
        #expect(commands.messages.first?.message.voteResponse?.granted == false)
        #expect(engine.vote == Vote(term: 5, votedFor: 1))
    }

    @Test func advancedModeLetsAHigherCandidateOfTheSameTermWin() throws {
        var engine = follower()
        engine.receive(voteRequest(term: 5, candidate: 1, last: lid(1, 101, 1)), from: 1)
        _ = engine.takeCommands()
        engine.receive(voteRequest(term: 5, candidate: 3, last: lid(1, 101, 1)), from: 3)
        #expect(engine.takeCommands().savedVotes == [Vote(term: 5, votedFor: 3)])
        // ... but never back to the lower one.
        engine.receive(voteRequest(term: 5, candidate: 1, last: lid(1, 101, 1)), from: 1)
        let commands = engine.takeCommands()
        #expect(commands.savedVotes.isEmpty)
        #expect(commands.messages.first?.message.voteResponse?.granted == false)
    }

    @Test func preVoteChangesNoState() throws {
        var engine = follower()
        let before = engine.vote
        engine.receive(voteRequest(term: 9, candidate: 3, last: lid(1, 101, 1), preVote: true), from: 3)
        let commands = engine.takeCommands()
        #expect(commands.savedVotes.isEmpty)
        #expect(engine.vote == before)
        let response = try #require(commands.messages.first?.message.voteResponse)
        #expect(response.isPreVote && response.granted)
    }

    @Test func followerThatHeardFromItsLeaderRefusesVotes() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        let term = cluster[2].vote.term
        let request = voteRequest(term: term + 1, candidate: 3, last: cluster[3].lastLogID)
        cluster.with(2) { $0.receive(request, from: 3) }
        #expect(cluster[2].vote.term == term, "a live leader is not deposed")
        let response = try #require(cluster.inFlight.last?.message.voteResponse)
        #expect(!response.granted)
    }

    @Test func partitionedNodeCannotDeposeAHealthyLeaderWhenItReturns() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        let term = cluster[1].vote.term
        cluster.isolated = [3]
        cluster.run(for: .seconds(3))
        #expect(cluster[3].vote.term == term, "pre-vote keeps the isolated node's term from growing")
        cluster.isolated = []
        cluster.run(for: .seconds(1))
        #expect(cluster.leaders == [1])
        #expect(cluster[1].vote.term == term)
        #expect(cluster[3].currentLeader == 1)
    }

    /// A follower cut off from a quorum keeps its vote through failed pre-votes, but stops
    /// naming that vote's leader once it campaigns: clients asking it are told "no leader"
    /// rather than sent to one it has not heard from in many election timeouts. It names the
    /// leader again as soon as that leader is heard from.
    @Test(arguments: [false, true])
    func followerThatLostItsLeaderNamesNoneUntilItHearsFromOne(restarted: Bool) throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        let vote = cluster[3].vote
        #expect(cluster[3].currentLeader == 1)
        cluster.isolated = [3]
        if restarted { cluster.restart(3) }
        #expect(cluster[3].currentLeader == 1, "within one election timeout the leader may still be alive")
        cluster.run(for: cluster.config.electionTimeoutMax * 3)
        #expect(cluster[3].vote == vote, "pre-vote failed: the vote is unchanged")
        #expect(cluster[3].currentLeader == nil)
        #expect(cluster[1].currentLeader == 1 && cluster[2].currentLeader == 1, "the majority still has its leader")
        cluster.isolated = []
        cluster.run(for: .seconds(1))
        #expect(cluster[3].currentLeader == 1)
        #expect(cluster.leaders == [1])
    }

    @Test func followersElectANewLeaderWithinTheElectionTimeout() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.isolated = [1]
        cluster.run(for: cluster.config.electionTimeoutMax + .milliseconds(50))
        let newLeaders = cluster.leaders.filter { $0 != 1 }
        #expect(newLeaders.count == 1)
        try cluster.propose(["after failover"], on: newLeaders[0])
        cluster.stabilize()
        #expect(cluster.appliedCommands(newLeaders[0]) == ["after failover"])
    }

    @Test func leaderThatHearsFromNoQuorumStepsDownAndRefusesWrites() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.isolated = [1]
        cluster.run(for: cluster.config.electionTimeoutMax + .milliseconds(20))
        #expect(!cluster[1].isLeader)
        #expect(cluster.nodes[1]!.events.contains(.steppedDown(reason: .lostQuorumContact)))
        #expect(throws: ProposeError.self) { try cluster.propose(["x"], on: 1) }
    }

    /// The tick reuses a check-quorum deadline computed earlier; a leader that was in contact
    /// for many timeouts must still step down one timeout after it loses contact.
    @Test func longLivedLeaderStepsDownOneTimeoutAfterLosingContact() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.run(for: cluster.config.electionTimeoutMax * 7)
        #expect(cluster[1].isLeader)
        cluster.isolated = [1]
        cluster.run(for: cluster.config.electionTimeoutMax + cluster.config.heartbeatInterval + .milliseconds(20))
        #expect(cluster.nodes[1]!.events.contains(.steppedDown(reason: .lostQuorumContact)))
    }

    /// A new voter set may move the check-quorum deadline back (its voters were last heard
    /// from long ago): the deadline the tick reuses must not outlive the membership.
    /// The change comes at several points of the reused deadline's life, so that one of them
    /// falling just before it cannot pass the test by chance.
    @Test(arguments: [0, 50, 100, 150, 200, 250])
    func leaderStepsDownAtOnceUnderVotersLongSilent(offsetMilliseconds: Int) throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4, 5], via: 1)
        // Learners do not count toward check-quorum: the leader keeps leading without them.
        cluster.isolated = [4, 5]
        cluster.run(for: cluster.config.electionTimeoutMax * 3 + .milliseconds(offsetMilliseconds))
        #expect(cluster[1].isLeader)
        // In the joint configuration 4 and 5 must answer too, and they have been silent for
        // longer than a timeout: the leader steps down within a tick or two.
        try cluster.changeMembership(.replaceVoters([1, 4, 5]), on: 1)
        cluster.run(for: .milliseconds(30))
        #expect(cluster.nodes[1]!.events.contains(.steppedDown(reason: .lostQuorumContact)))
    }

    /// Field lesson 2: a restarted follower campaigns within one election timeout.
    @Test func restartedFollowerCampaignsWithinOneElectionTimeout() {
        let now = RaftInstant(nanoseconds: 5_000_000_000)
        let engine = TestEngine(id: 2, config: .testing(), recovered: recoveredState(entries: logWithTerms([1, 2, 2], members: [1, 2, 3]), vote: Vote(term: 2, votedFor: 1, committed: true)), now: now, randomSeed: 3)
        let deadline = engine.nextDeadline!
        #expect(deadline > now)
        #expect(deadline <= now + EngineConfig.testing().electionTimeoutMax)
    }

    /// Field lesson 20: a single-node cluster restarts and keeps working.
    @Test func singleNodeClusterRestartsAndLeadsAgain() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1])
        try cluster.propose(["a", "b"], on: 1)
        cluster.stabilize()
        let stored = cluster.nodes[1]!
        let restarted = ManualCluster(ids: [])
        restarted.addRecoveredNode(1, entries: stored.storedLog, vote: stored.storedVote, committed: stored.storedCommitted)
        restarted.processAll()
        #expect(restarted.appliedCommands(1) == ["a", "b"], "committed entries are re-applied to a volatile state machine")
        restarted.run(for: restarted.config.electionTimeoutMax)
        #expect(restarted.leaders == [1])
        try restarted.propose(["c"], on: 1)
        restarted.stabilize()
        #expect(restarted.appliedCommands(1) == ["a", "b", "c"])
    }

    /// Field lesson 17: a learner, and a node outside the configuration, never campaign.
    @Test func learnersAndNonMembersNeverCampaign() {
        let entries = [TestEntry(logID: lid(0, 0, 1), payload: .membership(membership([1, 2], learners: [3])))]
        for id: NodeID in [3, 4] {
            var engine = TestEngine(id: id, config: .testing(), recovered: recoveredState(entries: entries, vote: .initial), now: .zero, randomSeed: 1)
            #expect(engine.serverState == .learner)
            #expect(engine.nextDeadline == nil)
            engine.tick(now: RaftInstant(nanoseconds: 60_000_000_000))
            #expect(engine.takeCommands().messages.isEmpty)
            engine.triggerElection()
            #expect(engine.takeCommands().messages.isEmpty)
        }
    }

    @Test func candidateCountsItselfOnlyOnceItsVoteIsDurable() throws {
        let cluster = ManualCluster(ids: [1])
        cluster.autoFlush = false
        try cluster.with(1) { try $0.initialize(membership([1])) }
        #expect(cluster[1].serverState == .candidate)
        cluster.flush(1)
        #expect(cluster[1].isLeader)
    }

    @Test func candidateGivesUpWhenAVoterHasAHigherTerm() throws {
        var engine = follower(1)
        engine.triggerElection()
        let request = try #require(engine.takeCommands().messages.first?.message.voteRequest)
        #expect(request.isPreVote)
        engine.receive(.voteResponse(VoteResponse(vote: Vote(term: 9, votedFor: 3, committed: true), granted: false, isPreVote: true, requestTerm: request.vote.term, lastLogID: nil, rpcID: request.rpcID)), from: 2)
        #expect(engine.serverState == .follower)
        engine.triggerElection()
        let next = try #require(engine.takeCommands().messages.first?.message.voteRequest)
        #expect(next.vote.term == 10, "the next campaign starts above the highest term seen")
    }

    @Test func votingSuspendedNodeNeitherVotesNorCampaigns() throws {
        let entries = logWithTerms([1], members: [1, 2, 3])
        var engine = TestEngine(id: 2, config: .testing(), recovered: recoveredState(entries: entries, vote: .initial, votingSuspended: true), now: .zero, randomSeed: 1)
        engine.receive(voteRequest(term: 2, candidate: 1, last: lid(1, 101, 1)), from: 1)
        let commands = engine.takeCommands()
        #expect(commands.messages.first?.message.voteResponse?.granted == false)
        #expect(engine.nextDeadline == nil)
        engine.resumeVoting()
        engine.receive(voteRequest(term: 2, candidate: 1, last: lid(1, 101, 1)), from: 1)
        #expect(engine.takeCommands().savedVotes == [Vote(term: 2, votedFor: 1)])
    }
}
