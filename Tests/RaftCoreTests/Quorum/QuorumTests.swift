import Testing
@testable import RaftCore

@Suite("Quorums")
struct QuorumTests {
    @Test func majorityNeedsMoreThanHalfOfTheMembers() {
        let set = VoterSet([1, 2, 3, 4])
        #expect(!set.isElectionQuorum { [1, 2].contains($0) })
        #expect(set.isElectionQuorum { [1, 2, 3].contains($0) })
        #expect(!set.isCommitQuorum { [3, 4].contains($0) })
        #expect(set.isCommitQuorum { [2, 3, 4].contains($0) })
    }

    @Test func majorityQuorumValueIsTheValueAMajorityReached() {
        let set = VoterSet([1, 2, 3, 4, 5])
        let matched: [NodeID: UInt64] = [1: 10, 2: 7, 3: 9, 4: 1, 5: 3]
        #expect(set.quorumValue { matched[$0]! } == 7)
    }

    @Test func jointQuorumNeedsAQuorumOfEverySet() {
        let joint = JointQuorum([VoterSet([1, 2, 3]), VoterSet([3, 4, 5])])
        // {1,2} is a majority of the old set only.
        #expect(!joint.isElectionQuorum { [1, 2].contains($0) })
        #expect(!joint.isCommitQuorum { [4, 5].contains($0) })
        #expect(joint.isCommitQuorum { [1, 3, 4].contains($0) })
        #expect(joint.isElectionQuorum { [2, 3, 5].contains($0) })
    }

    @Test func jointQuorumValueIsTheMinimumOverSets() {
        let joint = JointQuorum([VoterSet([1, 2, 3]), VoterSet([3, 4, 5])])
        let matched: [NodeID: UInt64] = [1: 9, 2: 9, 3: 2, 4: 5, 5: 1]
        // Old set reaches 9, new set only 2.
        #expect(joint.quorumValue { matched[$0]! } == 2)
    }

    @Test func hierarchicalQuorumNeedsAMajorityOfGroupsEachByMajority() {
        let set = VoterSet.hierarchical([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        #expect(set.validationError == nil)
        // Majorities in two groups: enough, with only 4 of 9 nodes.
        #expect(set.isCommitQuorum { [1, 2, 4, 5].contains($0) })
        // Five nodes, but a majority in only one group.
        #expect(!set.isCommitQuorum { [1, 2, 3, 4, 7].contains($0) })
        let value: [NodeID: UInt64] = [1: 5, 2: 5, 3: 1, 4: 8, 5: 8, 6: 8, 7: 1, 8: 1, 9: 9]
        // Group values: 5, 8, 1 → majority of groups reaches 5.
        #expect(set.quorumValue { value[$0]! } == 5)
    }

    @Test func flexibleQuorumsUseSeparateElectionAndCommitSizes() {
        let set = VoterSet([1, 2, 3, 4, 5], rule: .flexible(electionQuorumSize: 4, commitQuorumSize: 2))
        #expect(set.validationError == nil)
        #expect(set.isCommitQuorum { [1, 2].contains($0) })
        #expect(!set.isElectionQuorum { [1, 2, 3].contains($0) })
        #expect(set.isElectionQuorum { [1, 2, 3, 4].contains($0) })
        let matched: [NodeID: UInt64] = [1: 4, 2: 9, 3: 1, 4: 1, 5: 1]
        #expect(set.quorumValue { matched[$0]! } == 4)
    }

    @Test func flexibleQuorumsThatDoNotIntersectAreInvalid() {
        let set = VoterSet([1, 2, 3, 4], rule: .flexible(electionQuorumSize: 2, commitQuorumSize: 2))
        #expect(set.validationError != nil)
    }

    @Test func hierarchicalGroupsMustPartitionTheMembers() {
        #expect(VoterSet([1, 2, 3], rule: .hierarchical(groups: [[1, 2], [2, 3]])).validationError != nil)
        #expect(VoterSet([1, 2, 3], rule: .hierarchical(groups: [[1, 2]])).validationError != nil)
    }

    /// Field lesson 10: learners never count toward any quorum.
    @Test func learnersNeverCountTowardQuorum() {
        let config = MembershipConfig(voters: [1, 2, 3], learners: [4, 5])
        #expect(!config.quorum.isCommitQuorum { [1, 4, 5].contains($0) })
        #expect(config.quorum.quorumValue { $0 >= 4 ? 100 : ($0 == 1 ? 100 : 0) } == 0)
    }

    @Test func membershipConfigRejectsOverlappingVotersAndLearners() {
        #expect(MembershipConfig(voters: [1, 2], learners: [2]).validationError != nil)
        #expect(MembershipConfig(voterSets: []).validationError != nil)
        #expect(MembershipConfig(voterSets: [VoterSet([1]), VoterSet([2]), VoterSet([3])]).validationError != nil)
    }
}
