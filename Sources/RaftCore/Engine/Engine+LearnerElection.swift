/// A learner may hold the newest log of the cluster, and a cluster can then elect nobody.
///
/// The simulator found it (`raft-sim --seed 1757 --faults all,-clock-jumps`, and seeds 13393 and
/// 40082 when they were found): the committed configuration is {1,2,3} with learner 4; leader 3
/// appends, without committing, the joint configuration promoting 4; leader 1 of the next term,
/// elected without that entry, replicates its first entry only to learner 4, then loses its
/// data (its voting is suspended). Node 3 needs three of {1,2,3,4}, but node 4 refuses it
/// (node 4's log is newer); node 2 needs node 3, whose log is newer than node 2's. Nobody can
/// win, and no timeout changes that: only the learner's log can be the next leader's.
///
/// So a learner that a candidate with an *older* log asks for a vote (which only happens when
/// that candidate's configuration counts the learner as a voter), and that knows no live
/// leader, may campaign for a while (``learnerCampaignWindow(_:)``) under its **own**
/// effective configuration, the newest membership in its own log, without counting itself.
/// Elected, it takes no writes and no membership changes, and as soon as its first entry
/// commits it hands leadership to the most caught-up voter that may vote (as a leader whose
/// removal committed does), with a `TimeoutNow`.
///
/// **Why this is safe.** Raft's safety argument never assumes that a candidate is a voter: it
/// assumes that every vote a candidate *counts* was granted once per term, durably, by a voter
/// of the configuration the candidate uses, and that this configuration is the newest one in
/// the candidate's own log (a configuration takes effect when appended, Raft §6 and the
/// dissertation §4.2.2, which also lets a server outside its latest configuration start
/// elections, not counting its own vote). Both hold here:
///
/// - *Election safety.* The learner counts only grants from voters of its own configuration
///   (`JointQuorum` ignores non-members, so its own vote never counts), and it needs an
///   election quorum of every voter set of that configuration, joint ones included. Voters
///   grant it by the same rules as any candidate: at most one vote per term, durable before
///   the answer, never while suspended. Two leaders of one term would need two quorums of
///   configurations that joint consensus makes intersect, with a voter in both voting twice.
/// - *Leader completeness.* An entry committed on a commit quorum of its configuration is
///   held by a voter of every election quorum of every configuration that may decide next;
///   that voter grants only a candidate whose log is at least as up to date as its own, so the
///   learner has the entry. Nothing in that step depends on who the candidate is.
/// - *Configurations.* The learner never uses a configuration it has not appended (not the
///   candidate's joint one that would make it a voter: that entry may never commit, and the
///   learner's newer log usually replaces it), so a quorum is never formed from a membership
///   the log does not back.
/// - *Pre-vote, check-quorum, leader stickiness.* The learner runs the same pre-vote round
///   first, and voters that heard from a live leader refuse it as they refuse anyone; it is
///   not even allowed to start while it has heard from a leader itself. As leader it keeps
///   leading only while a quorum of voters acknowledges it (check-quorum counts no learner).
/// - *Voting suspension.* A learner whose voting is suspended never campaigns; suspended
///   voters grant nothing, count toward none of the learner-leader's quorums, and are never
///   the target of its hand-over.
/// - *Leader transfer.* The hand-over is an ordinary transfer: the target is a voter holding
///   the learner's committed first entry, so every voter's log is at most its own.
///
/// A learner's campaign costs what any campaign costs, so it is allowed only when it is
/// needed: a learner that is never asked (every healthy cluster, every lagging learner) never
/// campaigns, as before. The deliberately broken variant that lets any learner campaign and
/// *count* its own vote (`EngineTestingFaults.learnerCampaignsAsVoter`) is caught by the
/// simulator's election-safety and leader-completeness checkers.
extension RaftEngine {
    /// A candidate whose log is older than this node's asked for its vote: a learner that
    /// knows no live leader may campaign for the next ``learnerCampaignWindow(_:)``.
    @inlinable mutating func allowLearnerCampaign(askedBy candidateLast: LogID?) {
        guard logIDLess(candidateLast, log.last), !hasLiveLeader, !votingSuspended,
              !isVoter, !membership.committed.config.isVoter(id), membership.effective.config.learners.contains(id)
        else { return }
        learnerCampaignAllowedUntil = now + Self.learnerCampaignWindow(config)
    }

    /// Whether this learner may campaign now (see ``allowLearnerCampaign(askedBy:)``).
    @inlinable var mayCampaignAsLearner: Bool {
        guard let until = learnerCampaignAllowedUntil, now < until else { return false }
        return membership.effective.config.learners.contains(id)
    }

    /// How long a learner may campaign after the last request that allowed it: two maximum
    /// election timeouts, so its own randomized timer fires at least once; the candidate that
    /// needs it asks again every election timeout of its own.
    @inlinable static func learnerCampaignWindow(_ config: EngineConfig) -> Duration {
        config.electionTimeoutMax * 2
    }

    /// Whether this leader, elected while not a voter, may hand leadership over now: once its
    /// first entry committed, a quorum of voters holds its whole log.
    @inlinable var learnerLeaderMayHandOver: Bool {
        guard leader != nil, leader!.leadsAsNonVoter else { return false }
        return committed.indexOrZero >= leader!.firstLogID.index
    }

    /// The broken variant's quorum (test-only): this learner's own vote stands in for one voter
    /// of each set that did not grant, as if it were that voter's.
    @inlinable func isElectionQuorumCountingLearnerVote(_ granted: Set<NodeID>) -> Bool {
        membership.effective.config.voterSets.allSatisfy { set in
            let standIn = set.members.sorted().first { !granted.contains($0) }
            return set.isElectionQuorum { granted.contains($0) || (granted.contains(id) && $0 == standIn) }
        }
    }
}
