import Testing
@testable import RaftCore

/// The "removed" answer to a campaign and the campaigner's reversible reaction (Engine+Removal).
@Suite("Membership: removal notices")
struct RemovalNoticeTests {
    /// Node 3 is cut off while the others remove it: it never learns, and campaigns.
    func clusterThatRemovedIsolatedNode3() throws -> ManualCluster {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.isolated = [3]
        try cluster.changeMembership(.removeVoters([3]), on: 1)
        cluster.stabilize()
        #expect(cluster[1].committedMembership.config == MembershipConfig(voters: [1, 2]))
        #expect(cluster[3].effectiveMembership.config.isVoter(3))
        return cluster
    }

    func voteRequests(from id: NodeID, in cluster: ManualCluster) -> [VoteRequest] {
        cluster.inFlightMessages(from: id).compactMap(\.voteRequest)
    }

    @Test func membersAnswerRemovedToANodeTheyRemoved() throws {
        let cluster = try clusterThatRemovedIsolatedNode3()
        for member: NodeID in [1, 2] {
            #expect(cluster[member].answersRemoved(3, senderLastLogID: cluster[3].lastLogID), "node \(member)")
        }
        // Members of the membership are never called removed, whatever their log.
        #expect(!cluster[1].answersRemoved(2, senderLastLogID: nil))
        // The removed node itself, still holding the old membership, calls nobody removed.
        #expect(!cluster[3].answersRemoved(1, senderLastLogID: nil))
    }

    @Test func aNoticeHoldsCampaignsBackUntilTheHoldOffPasses() throws {
        let cluster = try clusterThatRemovedIsolatedNode3()
        cluster.advance(by: cluster.config.electionTimeoutMax)
        #expect(!voteRequests(from: 3, in: cluster).isEmpty, "the removed node campaigns")
        cluster.inFlight.removeAll()

        cluster.with(3) { $0.peerReportedRemoval(by: 1) }
        #expect(cluster[3].isHeldBackByRemovalNotice)
        #expect(cluster[3].serverState == .follower)
        for _ in 0..<9 {
            cluster.advance(by: cluster.config.electionTimeoutMax)
            #expect(voteRequests(from: 3, in: cluster).isEmpty)
        }
        // Ten maximum election timeouts after the notice it asks again.
        cluster.advance(by: cluster.config.electionTimeoutMax + .milliseconds(1))
        #expect(!cluster[3].isHeldBackByRemovalNotice)
        #expect(!voteRequests(from: 3, in: cluster).isEmpty)
    }

    @Test func hearingFromALeaderLiftsANotice() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.with(2) { $0.peerReportedRemoval(by: 3) }
        #expect(cluster[2].isHeldBackByRemovalNotice)
        cluster.advance(by: .milliseconds(10))
        cluster.with(1) { $0.triggerHeartbeat() }
        cluster.stabilize()
        #expect(!cluster[2].isHeldBackByRemovalNotice)
    }

    @Test func aNewEffectiveMembershipLiftsANotice() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.with(2) { $0.peerReportedRemoval(by: 3) }
        let contact = cluster[2].lastLeaderContact
        // The clock stands still, so the leader's append that brings the new membership does
        // not count as a newer contact: the membership alone lifts the notice.
        try cluster.addLearners([4], via: 1)
        #expect(cluster[2].lastLeaderContact == contact)
        #expect(cluster[2].effectiveMembership.config.learners == [4])
        #expect(!cluster[2].isHeldBackByRemovalNotice)
    }

    @Test func aLeaderAndNonMemberReportsAreIgnored() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.with(1) { $0.peerReportedRemoval(by: 2) }
        #expect(!cluster[1].isHeldBackByRemovalNotice)
        #expect(cluster[1].isLeader)
        cluster.with(2) { $0.peerReportedRemoval(by: 9) }
        #expect(!cluster[2].isHeldBackByRemovalNotice)
    }

    /// The case the rule guards against: node 4 was just made a voter, and node 2 has not
    /// received the entries that add it. Node 4's log is ahead of node 2's, so node 2 does not
    /// call it removed.
    @Test func aLaggingFollowerDoesNotCallANewVoterRemoved() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.isolated = [2]
        try cluster.addLearners([4], via: 1)
        try cluster.changeMembership(.addVoterIDs([4]), on: 1)
        cluster.stabilize()
        #expect(cluster[4].effectiveMembership.config.isVoter(4))
        #expect(!cluster[2].effectiveMembership.config.allNodeIDs.contains(4))
        #expect(!cluster[2].answersRemoved(4, senderLastLogID: cluster[4].lastLogID))
        // With a log no further than node 2's, the same sender would be called removed.
        #expect(cluster[2].answersRemoved(4, senderLastLogID: cluster[2].lastLogID))
    }

    @Test func thePublishedStateRuleNeedsACommittedMembershipAndAnExcludedSender() {
        let committed = StoredMembership(logID: lid(1, 1, 5), membership: membership([1, 2, 3]))
        let adding4 = StoredMembership(logID: lid(1, 1, 7), membership: membership([1, 2, 3], learners: [4]))
        let rule = TestEngine.answersRemoved
        #expect(rule(4, lid(1, 1, 5), committed, committed, lid(1, 1, 6)))
        #expect(!rule(4, lid(1, 1, 7), committed, committed, lid(1, 1, 6)), "the sender's log is ahead")
        #expect(!rule(4, nil, committed, adding4, lid(1, 1, 7)), "effective membership holds the sender")
        #expect(!rule(4, nil, adding4, committed, lid(1, 1, 7)), "committed membership holds the sender")
        #expect(!rule(4, nil, .empty, .empty, nil), "a pristine node knows no cluster")
        #expect(!rule(2, nil, committed, committed, lid(1, 1, 6)))
    }
}
