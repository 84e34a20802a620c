import Testing
@testable import RaftCore

/// What `changeMembership` accepts, refuses and answers.
@Suite("Membership: change requests and replies")
struct MembershipChangeRequestTests {
    private func expectRejected(_ expected: MembershipChangeError, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(expected)")
        } catch let failure as MembershipChangeFailure {
            #expect(failure == .rejected(expected))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func secondChangeWhileJointEntryIsUncommittedIsRejectedWithChangeInProgress() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        try cluster.changeMembership(.addVoterIDs([4]), on: 1)
        let joint = cluster[1].effectiveMembership.logID
        let last = cluster[1].lastLogID

        expectRejected(.changeInProgress(pending: joint)) {
            try cluster.changeMembership(.removeVoters([3]), on: 1)
        }
        #expect(cluster[1].lastLogID == last, "nothing appended")
    }

    @Test func secondChangeWhileFinalEntryIsUncommittedIsRejected() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        try cluster.changeMembership(.addVoterIDs([4]), on: 1)
        // The joint entry commits with 2 and 4; then everyone is cut off before the final one.
        cluster.isolated = [3]
        for _ in 0..<10 where cluster[1].effectiveMembership.config.isJoint { cluster.deliverRound() }
        cluster.isolated = [2, 3, 4]
        cluster.stabilize()
        let final = try #require(cluster[1].effectiveMembership.logID)
        #expect(cluster[1].effectiveMembership.config == MembershipConfig(voters: [1, 2, 3, 4]))
        #expect(cluster[1].committedMembership.logID != final)

        expectRejected(.changeInProgress(pending: final)) {
            try cluster.changeMembership(.addLearners([9: "node-9"]), on: 1)
        }
    }

    @Test func learnerChangeInFlightAlsoBlocksAnotherChange() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.addNode(4)
        try cluster.changeMembership(.addLearners([4: "node-4"]), on: 1)
        let pending = cluster[1].effectiveMembership.logID
        expectRejected(.changeInProgress(pending: pending)) {
            try cluster.changeMembership(.removeVoters([3]), on: 1)
        }
        // Once it committed, the next change is accepted.
        cluster.stabilize()
        try cluster.changeMembership(.removeVoters([3]), on: 1)
    }

    @Test func conditionalChangeWithStaleExpectedMembershipIsRejected() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        let seen = cluster[1].effectiveMembership.logID
        try cluster.addLearners([4], via: 1)
        let current = cluster[1].effectiveMembership.logID
        let last = cluster[1].lastLogID

        expectRejected(.membershipChanged(expected: seen, actual: current)) {
            try cluster.changeMembership(.removeVoters([3]), on: 1, expectedMembershipLogID: .some(seen))
        }
        #expect(cluster[1].lastLogID == last)
        // The same change conditioned on the current membership goes through.
        try cluster.changeMembership(.removeVoters([3]), on: 1, expectedMembershipLogID: .some(current))
        #expect(cluster[1].lastLogID != last)
    }

    @Test func changeThatWouldLeaveNoVoterIsRejected() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        let last = cluster[1].lastLogID
        expectRejected(.emptyVoterSet) { try cluster.changeMembership(.removeVoters([1, 2, 3]), on: 1) }
        expectRejected(.emptyVoterSet) { try cluster.changeMembership(.demoteVoters([1, 2, 3]), on: 1) }
        expectRejected(.emptyVoterSet) { try cluster.changeMembership(.replaceVoters([]), on: 1) }
        #expect(cluster[1].lastLogID == last)
        #expect(cluster[1].effectiveMembership.config == MembershipConfig(voters: [1, 2, 3]))
    }

    @Test func changeNamingAnUnknownNodeWithoutAddressIsRejected() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        let last = cluster[1].lastLogID
        expectRejected(.unknownNode(9)) { try cluster.changeMembership(.addVoterIDs([9]), on: 1) }
        expectRejected(.unknownNode(9)) { try cluster.changeMembership(.replaceVoters([1, 2, 9]), on: 1) }
        #expect(cluster[1].lastLogID == last)
    }

    @Test func removeLearnersNamingAVoterIsRejected() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        let last = cluster[1].lastLogID
        expectRejected(.nodeIsVoter(2)) { try cluster.changeMembership(.removeLearners([2]), on: 1) }
        #expect(cluster[1].lastLogID == last)
        // A refused change leaves no change in progress behind.
        cluster.addNode(4)
        try cluster.changeMembership(.addLearners([4: "node-4"]), on: 1)
    }

    @Test func changeOnAFollowerIsForwardedToTheLeader() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        #expect(throws: MembershipChangeFailure.forwardToLeader(ForwardToLeader(leaderID: 1))) {
            try cluster.changeMembership(.removeVoters([3]), on: 2)
        }
    }

    @Test func successfulChangeRepliesWithTheFinalEntryOnceItCommits() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.changeMembership(.removeVoters([3]), on: 1, token: 42)
        // The joint entry commits once 2 has it; the final one is appended: no answer yet.
        cluster.stabilize(holding: [2])
        cluster.deliver(from: 1, to: 2)
        cluster.deliver(from: 2, to: 1)
        #expect(cluster[1].committedMembership.config.isJoint)
        #expect(cluster[1].effectiveMembership.config == MembershipConfig(voters: [1, 2]))
        #expect(cluster.replies(1, token: 42).isEmpty)
        cluster.stabilize()
        let final = try #require(cluster[1].committedMembership.logID)
        #expect(cluster[1].committedMembership.config == MembershipConfig(voters: [1, 2]))
        #expect(cluster.replies(1, token: 42) == [.membershipChange(.success(final))])
    }

    @Test func leaderSteppingDownMidChangeRepliesLeadershipLost() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        cluster.addNode(4)
        try cluster.changeMembership(.addVoters([4: "node-4"]), on: 1, token: 8)
        // The leader is cut off before anyone got the joint entry; check-quorum deposes it.
        cluster.isolated = [1]
        cluster.advance(by: cluster.config.electionTimeoutMax + .milliseconds(10))
        #expect(cluster[1].isLeader == false)
        #expect(cluster.replies(1, token: 8) == [.membershipChange(.failure(.leadershipLost(ForwardToLeader(leaderID: nil))))])
    }
}
