import Testing
@testable import RaftCore

@Suite("Membership: quorum rules in a running cluster")
struct QuorumRuleChangeTests {
    @Test func clusterMovesToHierarchicalQuorumsAndCommitsWithAMajorityOfGroups() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3, 4, 5, 6])
        let groups: [Set<NodeID>] = [[1, 2], [3, 4], [5, 6]]
        try cluster.changeMembership(.replaceVoterSet(.hierarchical(groups)), on: 1, token: 9)
        cluster.stabilize()
        #expect(cluster.replies(1, token: 9).count == 1)
        #expect(cluster[1].committedMembership.config.voterSets == [VoterSet.hierarchical(groups)])
        // Majorities in groups {1,2} and {3,4} suffice although 5 and 6 are down: 4 of 6 nodes.
        cluster.isolated = [5, 6]
        let entry = try #require(try cluster.propose(["grouped"], on: 1))
        cluster.stabilize()
        #expect(cluster[1].committed == entry)
        // With one node in each of two groups gone, only one group keeps a majority: no commit.
        cluster.isolated = [2, 4]
        let blocked = try #require(try cluster.propose(["blocked"], on: 1))
        cluster.stabilize()
        #expect(cluster[1].committed.indexOrZero < blocked.index)
    }

    @Test func replacingTheVoterSetRequiresKnownNodes() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        #expect(throws: MembershipChangeFailure.rejected(.unknownNode(9))) {
            try cluster.changeMembership(.replaceVoterSet(VoterSet([1, 2, 9])), on: 1)
        }
    }
}
