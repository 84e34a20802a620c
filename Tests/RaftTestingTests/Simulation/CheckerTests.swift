import RaftCore
import Testing
@testable import RaftTesting

/// Each checker fires on a hand-made violation (and stays quiet on the legal neighbour).
@Suite("Simulation checkers")
struct CheckerTests {
    @Test func electionSafetyCatchesTwoLeadersInOneStandardTerm() {
        var checker = ElectionSafetyChecker(mode: .standard)
        #expect(checker.observeLeader(LeaderID(term: 5, nodeID: 1), incarnation: 0) == nil)
        #expect(checker.observeLeader(LeaderID(term: 5, nodeID: 2), incarnation: 0)?.property == "election safety")
        var advanced = ElectionSafetyChecker(mode: .advanced)
        #expect(advanced.observeLeader(LeaderID(term: 5, nodeID: 1), incarnation: 0) == nil)
        #expect(advanced.observeLeader(LeaderID(term: 5, nodeID: 2), incarnation: 0) == nil, "advanced mode allows one leader per leader id")
    }

    @Test func electionSafetyCatchesOneLeaderIDInTwoLives() {
        var checker = ElectionSafetyChecker(mode: .advanced)
        #expect(checker.observeLeader(LeaderID(term: 5, nodeID: 1), incarnation: 0) == nil)
        #expect(checker.observeLeader(LeaderID(term: 5, nodeID: 1), incarnation: 1)?.property == "election safety")
    }

    @Test func leaderAppendOnlyCatchesShrinkingAndOverwriting() {
        var checker = LeaderAppendOnlyChecker()
        let leader = LeaderID(term: 2, nodeID: 1)
        #expect(checker.observe(node: 1, incarnation: 0, leaderID: leader, last: lid(2, 1, 5), purgedIndex: 0) { lid(2, 1, $0) } == nil)
        #expect(checker.observe(node: 1, incarnation: 0, leaderID: leader, last: lid(2, 1, 4), purgedIndex: 0) { lid(2, 1, $0) }?.property == "leader append-only")
        var overwriting = LeaderAppendOnlyChecker()
        _ = overwriting.observe(node: 1, incarnation: 0, leaderID: leader, last: lid(2, 1, 5), purgedIndex: 0) { lid(2, 1, $0) }
        #expect(overwriting.observe(node: 1, incarnation: 0, leaderID: leader, last: lid(2, 1, 6), purgedIndex: 0) { $0 == 5 ? lid(1, 3, 5) : lid(2, 1, $0) }?.property == "leader append-only")
    }

    @Test func logMatchingCatchesADifferentPayloadOrPredecessor() {
        var checker = LogMatchingChecker()
        #expect(checker.observeAppend(entry(1, 1, 1, value: 10), after: nil, node: 1) == nil)
        #expect(checker.observeAppend(entry(1, 1, 1, value: 10), after: nil, node: 2) == nil)
        #expect(checker.observeAppend(entry(1, 1, 1, value: 11), after: nil, node: 3)?.property == "log matching")
        #expect(checker.observeAppend(entry(1, 1, 2), after: lid(1, 1, 1), node: 1) == nil)
        #expect(checker.observeAppend(entry(1, 1, 2), after: lid(0, 9, 1), node: 2)?.property == "log matching")
    }

    @Test func commitTrackerCatchesConflictsRegressionAndFollowersAhead() {
        var commits = CommitTracker()
        let config = MembershipConfig(voters: [1, 2, 3])
        let leader = LeaderID(term: 1, nodeID: 1)
        let first = commits.observe(node: 1, incarnation: 0, committed: lid(1, 1, 3), leading: leader, effectiveConfig: config, logID: { lid(1, 1, $0) }, config: { _ in nil })
        #expect(first.violation == nil && first.newlyCommitted == 1..<4)
        let conflicting = commits.observe(node: 2, incarnation: 0, committed: lid(2, 2, 3), leading: nil, effectiveConfig: config, logID: { lid(2, 2, $0) }, config: { _ in nil })
        #expect(conflicting.violation?.property == "state machine safety")
        let ahead = commits.observe(node: 3, incarnation: 0, committed: lid(1, 1, 4), leading: nil, effectiveConfig: config, logID: { lid(1, 1, $0) }, config: { _ in nil })
        #expect(ahead.violation?.property == "commit safety")
        let back = commits.observe(node: 1, incarnation: 0, committed: lid(1, 1, 2), leading: leader, effectiveConfig: config, logID: { lid(1, 1, $0) }, config: { _ in nil })
        #expect(back.violation?.property == "commit monotonic")
    }

    @Test func commitTrackerCatchesALeaderCommittingAnEarlierLeadersEntry() {
        var commits = CommitTracker()
        let config = MembershipConfig(voters: [1, 2, 3])
        _ = commits.observe(node: 1, incarnation: 0, committed: lid(1, 1, 2), leading: LeaderID(term: 1, nodeID: 1), effectiveConfig: config, logID: { lid(1, 1, $0) }, config: { _ in nil })
        // Leader 2-2 holds 1-1-3 (replicated to a quorum by 1-1) and its own blank at 4.
        let log: (LogIndex) -> LogID? = { $0 <= 3 ? lid(1, 1, $0) : lid(2, 2, $0) }
        var counting = commits
        let byReplicas = counting.observe(node: 2, incarnation: 0, committed: lid(1, 1, 3), leading: LeaderID(term: 2, nodeID: 2), effectiveConfig: config, logID: log, config: { _ in nil })
        #expect(byReplicas.violation?.property == "leader commits only its own entries")
        let beneathItsOwn = commits.observe(node: 2, incarnation: 0, committed: lid(2, 2, 4), leading: LeaderID(term: 2, nodeID: 2), effectiveConfig: config, logID: log, config: { _ in nil })
        #expect(beneathItsOwn.violation == nil && beneathItsOwn.newlyCommitted == 3..<5, "an earlier leader's entry commits beneath one of the leader's own")
        #expect(commits.highestIndexCommitted(byLeaderNewerThan: LeaderID(term: 1, nodeID: 1)) == 4)
        #expect(commits.highestIndexCommitted(byLeaderNewerThan: LeaderID(term: 2, nodeID: 2)) == 0)
    }

    @Test func readFreshnessCatchesAReadMissingANewerLeadersCommit() {
        var commits = CommitTracker()
        let config = MembershipConfig(voters: [1, 2, 3])
        _ = commits.observe(node: 1, incarnation: 0, committed: lid(1, 1, 2), leading: LeaderID(term: 1, nodeID: 1), effectiveConfig: config, logID: { lid(1, 1, $0) }, config: { _ in nil })
        _ = commits.observe(node: 2, incarnation: 0, committed: lid(2, 2, 3), leading: LeaderID(term: 2, nodeID: 2), effectiveConfig: config, logID: { $0 <= 2 ? lid(1, 1, $0) : lid(2, 2, $0) }, config: { _ in nil })
        let deposed = LeaderID(term: 1, nodeID: 1)
        let read = ClientRead(client: 0, attempt: 1, key: 0, node: 1, policy: .lease, leader: deposed, mustReflect: commits.highestIndexCommitted(byLeaderNewerThan: deposed))
        #expect(ReadFreshnessChecker.check(read, servedFrom: lid(1, 1, 2), commits: commits)?.property == "read reflects newer leaders' commits")
        #expect(ReadFreshnessChecker.check(read, servedFrom: lid(2, 2, 3), commits: commits) == nil)
        let before = ClientRead(client: 0, attempt: 1, key: 0, node: 1, policy: .readIndex, leader: deposed, mustReflect: 0)
        #expect(ReadFreshnessChecker.check(before, servedFrom: lid(1, 1, 2), commits: commits) == nil, "what commits while a read waits is concurrent with it")
    }

    @Test func requestObedienceCatchesActingOnALowerVoteAndPreVotesThatChangeTheVote() {
        let follower = ReceiverState(vote: Vote.leader(LeaderID(term: 3, nodeID: 2)), lastLogID: lid(3, 2, 5), committed: lid(3, 2, 4), purged: nil)
        let stale = RaftMessage<SimTypes>.appendEntries(AppendEntriesRequest(
            vote: Vote.leader(LeaderID(term: 2, nodeID: 1)), prevLogID: lid(2, 1, 4), entries: [entry(2, 1, 5)], leaderCommit: lid(2, 1, 5), rpcID: 7))
        var appended = follower
        appended.lastLogID = lid(2, 1, 5)
        #expect(RequestObedienceChecker.check(stale, from: 1, to: 3, before: follower, after: appended, mode: .advanced)?.property == "no action on a lower vote")
        #expect(RequestObedienceChecker.check(stale, from: 1, to: 3, before: follower, after: follower, mode: .advanced) == nil)
        let current = RaftMessage<SimTypes>.appendEntries(AppendEntriesRequest(
            vote: Vote.leader(LeaderID(term: 3, nodeID: 2)), prevLogID: lid(3, 2, 5), entries: [entry(3, 2, 6)], leaderCommit: lid(3, 2, 5), rpcID: 8))
        var extended = follower
        extended.lastLogID = lid(3, 2, 6)
        #expect(RequestObedienceChecker.check(current, from: 2, to: 3, before: follower, after: extended, mode: .advanced) == nil)
        let success = RaftMessage<SimTypes>.appendEntriesResponse(AppendEntriesResponse(vote: follower.vote, rpcID: 7, outcome: .success(matched: lid(2, 1, 4))))
        #expect(RequestObedienceChecker.checkAnswer(success, to: 1, from: 3)?.property == "no action on a lower vote")
        let refusal = RaftMessage<SimTypes>.appendEntriesResponse(AppendEntriesResponse(vote: follower.vote, rpcID: 7, outcome: .rejected))
        #expect(RequestObedienceChecker.checkAnswer(refusal, to: 1, from: 3) == nil)

        let preVote = RaftMessage<SimTypes>.vote(VoteRequest(vote: Vote(term: 4, votedFor: 1), lastLogID: lid(3, 2, 5), isPreVote: true, rpcID: 9))
        var termAdopted = follower
        termAdopted.vote = Vote(term: 4, votedFor: nil)
        #expect(RequestObedienceChecker.check(preVote, from: 1, to: 3, before: follower, after: termAdopted, mode: .advanced)?.property == "pre-vote changes no vote")
        #expect(RequestObedienceChecker.check(preVote, from: 1, to: 3, before: follower, after: follower, mode: .advanced) == nil)
        let realVote = RaftMessage<SimTypes>.vote(VoteRequest(vote: Vote(term: 4, votedFor: 1), lastLogID: lid(3, 2, 5), isPreVote: false, rpcID: 10))
        #expect(RequestObedienceChecker.check(realVote, from: 1, to: 3, before: follower, after: termAdopted, mode: .advanced) == nil)
    }

    @Test func leaderCompletenessCatchesANewLeaderMissingACommittedEntry() {
        var commits = CommitTracker()
        _ = commits.observe(
            node: 1, incarnation: 0, committed: lid(1, 1, 3), leading: LeaderID(term: 1, nodeID: 1), effectiveConfig: MembershipConfig(voters: [1, 2, 3]),
            logID: { lid(1, 1, $0) }, config: { _ in nil })
        let missing = LeaderCompletenessChecker.check(leader: LeaderID(term: 2, nodeID: 2), indexes: 1..<4, commits: commits, purged: nil) { $0 <= 2 ? lid(1, 1, $0) : nil }
        #expect(missing?.property == "leader completeness")
        let older = LeaderCompletenessChecker.check(leader: LeaderID(term: 1, nodeID: 0), indexes: 1..<4, commits: commits, purged: nil) { _ in nil }
        #expect(older == nil, "a leader older than the committing one need not hold its entries")
        let complete = LeaderCompletenessChecker.check(leader: LeaderID(term: 2, nodeID: 2), indexes: 1..<4, commits: commits, purged: lid(1, 1, 2)) { lid(1, 1, $0) }
        #expect(complete == nil)
    }

    @Test func stateMachineSafetyCatchesUncommittedAndDivergentApplies() {
        var commits = CommitTracker()
        _ = commits.observe(
            node: 1, incarnation: 0, committed: lid(1, 1, 2), leading: LeaderID(term: 1, nodeID: 1), effectiveConfig: MembershipConfig(voters: [1]),
            logID: { lid(1, 1, $0) }, config: { _ in nil })
        var checker = StateMachineSafetyChecker()
        #expect(checker.observeApply(entry(1, 1, 1, value: 5), node: 1, commits: commits) == nil)
        #expect(checker.observeApply(entry(1, 1, 1, value: 6), node: 2, commits: commits)?.property == "state machine safety")
        #expect(checker.observeApply(entry(1, 1, 3), node: 1, commits: commits)?.property == "applied only committed")
        #expect(checker.observeApply(entry(2, 2, 2), node: 1, commits: commits)?.property == "applied only committed")
    }

    @Test func commitDurabilityCatchesACommitWithoutADurableQuorum() {
        var commits = CommitTracker()
        _ = commits.observe(
            node: 1, incarnation: 0, committed: lid(1, 1, 1), leading: LeaderID(term: 1, nodeID: 1), effectiveConfig: MembershipConfig(voters: [1, 2, 3]),
            logID: { lid(1, 1, $0) }, config: { _ in nil })
        let onOne = CommitDurabilityChecker.check(commits: commits, nodes: [1, 2, 3], holds: { node, _ in node == 1 }, damaged: { _ in false })
        #expect(onOne?.property == "committed durable on a quorum")
        let onTwo = CommitDurabilityChecker.check(commits: commits, nodes: [1, 2, 3], holds: { node, _ in node != 3 }, damaged: { _ in false })
        #expect(onTwo == nil)
        let excused = CommitDurabilityChecker.check(commits: commits, nodes: [1, 2, 3], holds: { node, _ in node == 1 }, damaged: { $0 == 2 })
        #expect(excused == nil, "a damaged disk is excused; the atlas keeps such disks a minority")
        let lost = CommitDurabilityChecker.check(commits: commits, nodes: [1, 2, 3], holds: { node, _ in node == 2 }, damaged: { $0 == 2 })
        #expect(lost?.property == "committed entries never lost")
    }

    @Test func stateOrderingCatchesAppliedBeyondCommittedAndPurgedBeyondSnapshot() {
        #expect(StateOrderingChecker.check(node: 1, purged: nil, snapshot: nil, applied: lid(1, 1, 3), committed: lid(1, 1, 2), last: lid(1, 1, 3))?.property == "applied ≤ committed")
        #expect(StateOrderingChecker.check(node: 1, purged: lid(1, 1, 3), snapshot: lid(1, 1, 2), applied: lid(1, 1, 3), committed: lid(1, 1, 3), last: lid(1, 1, 3))?.property == "state ordering")
        #expect(StateOrderingChecker.check(node: 1, purged: nil, snapshot: nil, applied: nil, committed: lid(1, 1, 4), last: lid(1, 1, 3))?.property == "state ordering")
        #expect(StateOrderingChecker.check(node: 1, purged: lid(1, 1, 1), snapshot: lid(1, 1, 2), applied: lid(1, 1, 2), committed: lid(1, 1, 3), last: lid(1, 1, 4)) == nil)
    }

    @Test func committedTruncationCatchesDeletingCommittedEntries() {
        var commits = CommitTracker()
        _ = commits.observe(
            node: 1, incarnation: 0, committed: lid(1, 1, 3), leading: LeaderID(term: 1, nodeID: 1), effectiveConfig: MembershipConfig(voters: [1]),
            logID: { lid(1, 1, $0) }, config: { _ in nil })
        let truncating = CommittedTruncationChecker.checkTruncate(node: 2, after: lid(1, 1, 1), last: lid(1, 1, 4), snapshotIndex: 0, commits: commits) { lid(1, 1, $0) }
        #expect(truncating?.property == "committed entry truncated")
        let uncommittedOnly = CommittedTruncationChecker.checkTruncate(node: 2, after: lid(1, 1, 3), last: lid(1, 1, 4), snapshotIndex: 0, commits: commits) { lid(1, 1, $0) }
        #expect(uncommittedOnly == nil)
        let coveredBySnapshot = CommittedTruncationChecker.checkTruncate(node: 2, after: nil, last: lid(1, 1, 3), snapshotIndex: 3, commits: commits) { lid(1, 1, $0) }
        #expect(coveredBySnapshot == nil)
        #expect(CommittedTruncationChecker.checkPurge(node: 2, upTo: lid(1, 1, 3), snapshotIndex: 2)?.property == "purge beyond snapshot")
    }

    @Test func voteMonotonicityCatchesASecondVoteInATerm() {
        #expect(VoteMonotonicityChecker.check(node: 1, saving: Vote(term: 5, votedFor: 3), over: Vote(term: 5, votedFor: 2), mode: .standard)?.property == "vote monotonic")
        #expect(VoteMonotonicityChecker.check(node: 1, saving: Vote(term: 5, votedFor: 3), over: Vote(term: 5, votedFor: 2), mode: .advanced) == nil)
        #expect(VoteMonotonicityChecker.check(node: 1, saving: Vote(term: 5, votedFor: 2), over: Vote(term: 5, votedFor: 3), mode: .advanced)?.property == "vote monotonic")
        #expect(VoteMonotonicityChecker.check(node: 1, saving: Vote(term: 4, votedFor: 2), over: Vote(term: 5, votedFor: nil), mode: .advanced)?.property == "vote monotonic")
    }

    @Test func suspendedVotingCatchesAVoteOrACampaign() {
        #expect(SuspendedVotingChecker.check(node: 1, saving: Vote(term: 5, votedFor: 2), suspended: true)?.property == "suspended voting")
        #expect(SuspendedVotingChecker.check(node: 1, saving: Vote(term: 5, votedFor: 1), suspended: true)?.property == "suspended voting")
        #expect(SuspendedVotingChecker.check(node: 1, saving: Vote(term: 5, votedFor: 2, committed: true), suspended: true) == nil, "following a leader is allowed")
        #expect(SuspendedVotingChecker.check(node: 1, saving: Vote(term: 5, votedFor: nil), suspended: true) == nil)
        #expect(SuspendedVotingChecker.check(node: 1, saving: Vote(term: 5, votedFor: 2), suspended: false) == nil)
    }

    @Test func linearizabilityCatchesAStaleRead() {
        let simulator = Simulator(seed: 1, options: testOptions())
        simulator.history = [
            RecordedOperation(client: 0, request: .write(key: 0, value: 1), invokedAt: 1, outcome: .ok(.written), completedAt: 2),
            RecordedOperation(client: 1, request: .read(key: 0), invokedAt: 3, outcome: .ok(.read(nil)), completedAt: 4),
        ]
        simulator.checkLinearizability()
        #expect(simulator.violation?.property == "linearizability")

        let fine = Simulator(seed: 1, options: testOptions())
        fine.history = [
            RecordedOperation(client: 0, request: .write(key: 0, value: 1), invokedAt: 1, outcome: .unknown, completedAt: nil),
            RecordedOperation(client: 1, request: .read(key: 0), invokedAt: 3, outcome: .ok(.read(1)), completedAt: 4),
            RecordedOperation(client: 1, request: .compareAndSet(key: 0, expected: 1, new: 2), invokedAt: 5, outcome: .ok(.compareAndSet(succeeded: true)), completedAt: 6),
        ]
        fine.checkLinearizability()
        #expect(fine.violation == nil, "an unknown write may take effect")
    }
}
