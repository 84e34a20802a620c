import RaftCore
import Testing
@testable import RaftTesting

/// The judge is judged: deliberately broken engines must each be caught within a bounded
/// number of seeds, by a checker that names the property they break.
///
/// Bounds are the smallest that catch reliably here; `raft-sim --broken-engine NAME --seeds
/// 1..500` shows each one's catch rate over many seeds.
@Suite("Broken engines are caught", .ownThread)
struct BrokenEngineTests {
    func caught(
        _ faults: EngineTestingFaults, mode: LeaderIDMode? = nil, injecting faultSet: FaultSet = .all, within seeds: UInt64 = 50,
        expecting properties: Set<String>
    ) {
        let options = testOptions(faultSeconds: 2) {
            $0.engineFaults = faults
            $0.leaderIDMode = mode
            $0.faults = faultSet
        }
        let report = firstFailure(seeds: 1...seeds, options: options)
        #expect(report != nil, "no seed in 1...\(seeds) caught the broken engine")
        if let report {
            #expect(properties.contains(report.violation!.property), "seed \(report.seed): \(report.violation!)")
        }
    }

    @Test func commitCountingUnflushedLeaderEntries() {
        caught(.commitCountsUnflushedEntries, expecting: ["committed durable on a quorum", "committed entries never lost"])
    }

    @Test func grantingTwoVotesInOneTerm() {
        caught(.grantsTwoVotesPerTerm, mode: .standard, expecting: ["vote monotonic", "election safety"])
    }

    @Test func truncatingCommittedEntriesOnAFollower() {
        caught(.truncatesCommittedEntries, expecting: ["committed entry truncated", "committed durable on a quorum", "state ordering"])
    }

    @Test func applyingBeforeCommit() {
        caught(.appliesBeforeCommit, expecting: ["applied only committed", "applied ≤ committed"])
    }

    @Test func committingAnEarlierLeadersEntryByCountingReplicas() {
        caught(.commitsEarlierLeadersEntries, within: 20, expecting: ["leader commits only its own entries"])
    }

    @Test func answeringAReadIndexReadWithoutAQuorumRound() {
        caught(.readIndexSkipsQuorumRound, injecting: [.deposedLeader], within: 20, expecting: ["read reflects newer leaders' commits"])
    }

    @Test func renewingTheLeaseBySendingHeartbeats() {
        caught(.leaseRenewedBySends, injecting: [.deposedLeader], within: 20, expecting: ["read reflects newer leaders' commits"])
    }

    @Test func datingTheLeaseFromTheAcknowledgementsArrival() {
        caught(.leaseFromAckArrival, injecting: [.deposedLeader], within: 20, expecting: ["read reflects newer leaders' commits"])
    }

    @Test func actingOnAnAppendOrSnapshotFromALowerVote() {
        caught(.followerAcceptsLowerVote, within: 20, expecting: ["no action on a lower vote"])
    }

    @Test func savingTheTermOfAPreVote() {
        caught(.preVoteSavesTerm, within: 20, expecting: ["pre-vote changes no vote"])
    }

    /// Any learner campaigns and counts its own vote: with learners (membership changes) cut
    /// off from their leader (partitions, loss), a learner with a stale log wins on too few
    /// voters' grants.
    @Test func aLearnerCampaigningAndCountingItsOwnVote() {
        caught(
            .learnerCampaignsAsVoter, injecting: [.membership, .asymmetricPartitions, .partitions, .loss], within: 20,
            expecting: ["leader completeness", "election safety"])
    }
}
