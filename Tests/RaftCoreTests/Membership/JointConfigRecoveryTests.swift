import Testing
@testable import RaftCore

/// A joint configuration outlives the leader that started it: a restarted node elects only
/// with both quorums (field lesson 1), and the next leader finishes the change.
@Suite("Membership: joint configuration across leaders and restarts")
struct JointConfigRecoveryTests {
    @Test func leaderElectedWithInheritedCommittedJointConfigFinishesTheChange() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        try cluster.changeMembership(.addVoterIDs([4]), on: 1)
        let joint = try #require(cluster[1].effectiveMembership.logID)

        // Followers learn that the joint entry committed, but never receive the final entry.
        func stripFinal() {
            for position in cluster.inFlight.indices where cluster.inFlight[position].from == 1 {
                guard var request = cluster.inFlight[position].message.appendRequest else { continue }
                request.entries.removeAll { $0.index > joint.index }
                cluster.inFlight[position].message = .appendEntries(request)
            }
        }
        for _ in 0..<20 {
            stripFinal()
            cluster.deliverRound()
            if [2, 3, 4].allSatisfy({ cluster[$0].committedMembership.logID == joint }) { break }
        }
        for id: NodeID in [2, 3, 4] {
            #expect(cluster[id].committedMembership.logID == joint, "node \(id)")
            #expect(cluster[id].lastLogID == joint, "node \(id)")
        }

        cluster.isolated = [1]
        cluster.inFlight.removeAll()
        cluster.run(for: .milliseconds(800))
        let newLeader = try #require(cluster.leaders.first { $0 != 1 })
        let final = try #require(cluster[newLeader].committedMembership.logID)
        #expect(final.index > joint.index)
        #expect(final.leaderID.term > joint.leaderID.term, "written by the new leader")
        #expect(cluster[newLeader].committedMembership.config == MembershipConfig(voters: [1, 2, 3, 4]))
        for id: NodeID in [2, 3, 4] { #expect(cluster[id].committedMembership.logID == final, "node \(id)") }
    }

    @Test func leaderElectedWithInheritedUncommittedJointConfigFinishesTheChange() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        try cluster.changeMembership(.addVoterIDs([4]), on: 1)
        let joint = try #require(cluster[1].effectiveMembership.logID)
        // The joint entry reaches everyone, the leader dies before hearing back.
        cluster.deliverRound()
        cluster.isolated = [1]
        cluster.inFlight.removeAll()
        for id: NodeID in [2, 3, 4] { #expect(cluster[id].committedMembership.logID != joint) }

        cluster.run(for: .milliseconds(800))
        let newLeader = try #require(cluster.leaders.first { $0 != 1 })
        #expect(cluster[newLeader].committedMembership.config == MembershipConfig(voters: [1, 2, 3, 4]))
        #expect(cluster[newLeader].committedMembership.logID!.index > joint.index)
    }

    /// A node that restarts with the joint configuration `[{1,2,3}, {1,4,5}]` needs a majority
    /// of both sets to win.
    @Test func restartedNodeWithJointConfigNeedsBothQuorumsToBeElected() throws {
        let config = EngineConfig.testing { $0.preVote = false }
        let jointConfig = MembershipConfig(voterSets: [VoterSet([1, 2, 3]), VoterSet([1, 4, 5])])
        var addresses: [NodeID: String] = [:]
        for id: NodeID in 1...5 { addresses[id] = "node-\(id)" }
        let log: [TestEntry] = [
            TestEntry(logID: lid(0, 0, 1), payload: .membership(membership([1, 2, 3]))),
            TestEntry(logID: lid(1, 1, 2), payload: .blank),
            TestEntry(logID: lid(1, 1, 3), payload: .membership(Membership(config: jointConfig, addresses: addresses))),
        ]

        func campaign(grants: [NodeID]) throws -> Bool {
            let cluster = ManualCluster(ids: [], config: config)
            cluster.addNode(1, storedLog: log, vote: Vote(term: 1, votedFor: 1, committed: true), committed: lid(1, 1, 3))
            #expect(cluster[1].effectiveMembership.config.isJoint)
            cluster.with(1) { $0.triggerElection() }
            let requests = cluster.inFlight.filter { $0.from == 1 }.compactMap { item in item.message.voteRequest.map { (item.to, $0) } }
            #expect(Set(requests.map(\.0)) == [2, 3, 4, 5], "both sets are asked")
            let request = try #require(requests.first?.1)
            for voter in grants {
                let response = VoteResponse(vote: request.vote, granted: true, isPreVote: false, requestTerm: request.vote.term, lastLogID: nil, rpcID: request.rpcID)
                cluster.inject(.voteResponse(response), from: voter, to: 1)
            }
            return cluster[1].isLeader
        }

        #expect(try campaign(grants: [2, 3]) == false, "majority of the old set only")
        #expect(try campaign(grants: [4, 5]) == false, "majority of the new set only")
        #expect(try campaign(grants: [2, 4]) == true, "a majority of each")
    }

    /// After a restart the joint configuration still needs both quorums to commit.
    @Test func restartedLeaderWithJointConfigCommitsOnlyWithBothQuorums() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4, 5], via: 1)
        try cluster.changeMembership(.replaceVoters([1, 4, 5]), on: 1)
        let joint = try #require(cluster[1].effectiveMembership.logID)
        cluster.deliverRound()
        cluster.inFlight.removeAll()
        for id: NodeID in 1...5 { cluster.restart(id) }
        for id: NodeID in 1...5 { #expect(cluster[id].effectiveMembership.logID == joint, "node \(id)") }

        // 1, 4, 5 elect 1 only if 2 or 3 join; with 2 and 3 unreachable nobody leads.
        cluster.isolated = [2, 3]
        cluster.run(for: .seconds(1))
        #expect(cluster.leaders.isEmpty)
        cluster.isolated = []
        cluster.run(for: .seconds(1))
        let leader = try #require(cluster.leaders.first)
        #expect(cluster[leader].committedMembership.config == MembershipConfig(voters: [1, 4, 5]))
    }

    /// Regression: a leader that committed a joint entry together with later membership
    /// entries (its predecessor's commit point was not persisted) appended the joint entry's
    /// final configuration again, after the final entry or after a second joint entry, which
    /// reverted that second change.
    @Test func leaderCommittingSeveralMembershipEntriesAtOnceFinishesOnlyTheNewestChange() throws {
        func config(_ sets: [Set<NodeID>]) -> TestMembership {
            var addresses: [NodeID: String] = [:]
            for id in sets.reduce(Set(), { $0.union($1) }) { addresses[id] = "node-\(id)" }
            return TestMembership(config: MembershipConfig(voterSets: sets.map { VoterSet($0) }), addresses: addresses)
        }
        let log: [TestEntry] = [
            TestEntry(logID: lid(0, 0, 1), payload: .membership(config([[1, 2, 3, 4]]))),
            TestEntry(logID: lid(1, 1, 2), payload: .blank),
            TestEntry(logID: lid(1, 1, 3), payload: .membership(config([[1, 2, 3, 4], [1, 2, 3]]))),
            TestEntry(logID: lid(1, 1, 4), payload: .membership(config([[1, 2, 3]]))),
            TestEntry(logID: lid(1, 1, 5), payload: .membership(config([[1, 2, 3], [1, 2]]))),
        ]
        let cluster = ManualCluster(ids: [])
        for id: NodeID in [1, 2, 3] {
            cluster.addNode(id, storedLog: log, vote: .leader(LeaderID(term: 1, nodeID: 1)), committed: lid(1, 1, 2))
        }
        cluster.run(for: .seconds(1))

        let leader = try #require(cluster.leaders.first)
        let later = cluster.nodes[leader]!.storedLog.filter { $0.index > 5 }.compactMap { $0.membership?.config }
        #expect(later == [MembershipConfig(voters: [1, 2])], "only the second change's final configuration")
        #expect(cluster[leader].committedMembership.config == MembershipConfig(voters: [1, 2]))
    }

    @Test func leaderCommittingJointAndFinalEntriesAtOnceAppendsNoSecondFinalEntry() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3])
        try cluster.addLearners([4], via: 1)
        let before = cluster[1].committed
        try cluster.changeMembership(.addVoterIDs([4]), on: 1)
        cluster.stabilize()
        let final = try #require(cluster[1].effectiveMembership.logID)
        // Every node restarts with a commit point from before the change.
        for id: NodeID in 1...4 {
            cluster.nodes[id]!.storedCommitted = before
            cluster.restart(id)
        }
        cluster.run(for: .seconds(1))
        let leader = try #require(cluster.leaders.first)
        let membershipEntriesAfterFinal = cluster.nodes[leader]!.storedLog.filter { $0.index > final.index && $0.membership != nil }
        #expect(membershipEntriesAfterFinal.isEmpty)
        #expect(cluster[leader].committedMembership.logID == final)
        try cluster.changeMembership(.removeVoters([4]), on: leader)
    }

    /// The joint entry records which removed voters stay as learners, so a leader that
    /// inherits the change keeps them as the caller asked.
    @Test func inheritedChangeKeepsRetainedVotersAsLearners() throws {
        let cluster = try ManualCluster.withLeader(1, ids: [1, 2, 3, 4])
        try cluster.changeMembership(.removeVoters([4]), on: 1, retainRemovedVoters: true)
        let joint = try #require(cluster[1].effectiveMembership.logID)
        #expect(cluster[1].effectiveMembership.config.learners == [4])
        // The joint entry reaches everyone; the leader dies before it commits.
        cluster.deliverRound()
        cluster.isolated = [1]
        cluster.inFlight.removeAll()
        cluster.run(for: .milliseconds(800))
        let newLeader = try #require(cluster.leaders.first { $0 != 1 })
        #expect(cluster[newLeader].committedMembership.logID!.index > joint.index)
        #expect(cluster[newLeader].committedMembership.config == MembershipConfig(voters: [1, 2, 3], learners: [4]))
        #expect(cluster[4].serverState == .learner)
    }
}
