import Raft
import RaftTesting
import Testing

/// Replaces voter 3 by a new node 4 without ever running with fewer than three voters: node 4
/// joins as a learner and catches up first, then one change moves the voters from {1, 2, 3}
/// to {1, 2, 4} through the joint configuration {1, 2, 3} + {1, 2, 4}.
func replaceVoter(on leader: RaftNode<KVTypes>) async throws -> LogID {
    try await leader.addLearner(4, address: "node-4", waitUntilCaughtUp: true, timeout: .seconds(30))
    return try await leader.changeMembership(.replaceVoters([1, 2, 4]))
}

/// A change made only if nobody changed the membership since it was read: two operators (or
/// scripts) cannot both act on the same view.
func removeVoterIfUnchanged(_ id: NodeID, on leader: RaftNode<KVTypes>) async throws(RaftError<String>) {
    let seen = leader.metrics.membership.logID
    try await leader.changeMembership(.removeVoters([id]), ifCurrent: .some(seen))
}

extension GuideSuites {
    @Suite("Guide: Membership changes")
    struct MembershipChangesTests {
        @Test func aVoterIsReplacedThroughALearnerAndAJointConfiguration() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let router = InProcessRouter<KVTypes>()
                let nodes = try await startPristineNodes(1...4, router: router)
                try await nodes[1]!.initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
                try await nodes[1]!.wait(until: .state(.leader), timeout: .seconds(10))
                _ = try await nodes[1]!.write(.put(key: "k", value: "v"))

                let final = try await replaceVoter(on: nodes[1]!)
                #expect(nodes[1]!.metrics.committedMembership.logID == final)
                #expect(nodes[1]!.metrics.membership.config.voterIDs == [1, 2, 4])
                #expect(!nodes[1]!.metrics.membership.config.isJoint)
                for node in nodes.values { await node.shutdown() }
            }
        }

        @Test func aConditionalChangeIsRefusedAfterAnotherChange() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let router = InProcessRouter<KVTypes>()
                let nodes = try await startPristineNodes(1...4, router: router)
                try await nodes[1]!.initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
                try await nodes[1]!.wait(until: .state(.leader), timeout: .seconds(10))
                // A change made before the leader has committed the initial membership would be
                // refused as `changeInProgress` (retryable); a first write commits it.
                _ = try await nodes[1]!.write(.put(key: "k", value: "v"))
                let stale = nodes[1]!.metrics.membership.logID
                try await nodes[1]!.addLearner(4, address: "node-4")
                // Acting on the view read before the learner was added is refused, and changes nothing.
                do {
                    try await nodes[1]!.changeMembership(.removeVoters([3]), ifCurrent: .some(stale))
                    Issue.record("a change made on a stale view was applied")
                } catch let error as RaftError<String> {
                    guard case .membershipChange(.membershipChanged(let expected, let actual)) = error else { throw error }
                    #expect(expected == stale && actual != stale)
                }
                #expect(nodes[1]!.metrics.membership.config.voterIDs == [1, 2, 3])
                try await removeVoterIfUnchanged(3, on: nodes[1]!)
                #expect(nodes[1]!.metrics.membership.config.voterIDs == [1, 2])
                for node in nodes.values { await node.shutdown() }
            }
        }

        @Test func removingTheLeaderHandsLeadershipToAnotherVoter() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let router = InProcessRouter<KVTypes>()
                let nodes = try await startPristineNodes(1...3, router: router)
                try await nodes[1]!.initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
                try await nodes[1]!.wait(until: .state(.leader), timeout: .seconds(10))
                _ = try await nodes[1]!.write(.put(key: "k", value: "v"))

                // The leader commits its own removal, then steps down; one of the others is elected.
                try await nodes[1]!.changeMembership(.removeVoters([1]), retainRemovedVoters: true)
                let metrics = try await nodes[2]!.wait(
                    until: MetricsCondition("a new leader") { $0.currentLeader == 2 || $0.currentLeader == 3 }, timeout: .seconds(10))
                #expect(metrics.membership.config.voterIDs == [2, 3])
                #expect(metrics.membership.config.learners == [1])
                _ = try await nodes[metrics.currentLeader!]!.write(.put(key: "after", value: "removal"))
                for node in nodes.values { await node.shutdown() }
            }
        }
    }
}
