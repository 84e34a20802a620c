import Raft
import RaftTesting
import Testing

/// Sends a write to whichever node leads, following `forwardToLeader` hints, and retries
/// every failure a retry cannot turn into a second application. An unknown outcome is
/// retried only for a command that may apply twice (`idempotent`); otherwise it is thrown.
func write(
    _ command: KVCommand, idempotent: Bool, to nodes: [NodeID: RaftNode<KVTypes>], deadline: ContinuousClock.Instant
) async throws(RaftError<String>) -> KVResponse {
    var target = nodes.keys.min()!
    while true {
        do {
            return try await nodes[target]!.write(command)
        } catch {
            guard error.isRetryable || (error.mayHaveBeenApplied && idempotent), ContinuousClock.now < deadline else { throw error }
            if case .forwardToLeader(let leaderID?, _) = error, nodes[leaderID] != nil {
                target = leaderID  // the node named leads: try it at once
            } else {
                try? await Task.sleep(for: .milliseconds(50))  // an election is running
            }
        }
    }
}

/// Makes any key-value command safe to retry: the state machine remembers the response to
/// each (client, sequence) and answers a repeat with it.
struct ExactlyOnceClient {
    let id = UInt64.random(in: 1...UInt64.max)
    var sequence: UInt64 = 0

    mutating func next(_ command: KVCommand) -> KVCommand {
        sequence += 1
        return .exactlyOnce(client: id, sequence: sequence, command: command)
    }
}

extension GuideSuites {
    @Suite("Guide: Writes and errors")
    struct WritesAndErrorsTests {
        @Test func followersForwardUnknownOutcomesAreFlaggedAndExactlyOnceRetriesAreSafe() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let router = InProcessRouter<KVTypes>()
                let nodes = try await startPristineNodes(1...3, router: router)
                try await nodes[1]!.initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
                let leaderID = try await nodes[1]!.wait(until: .leader(), timeout: .seconds(10)).currentLeader!
                let follower = nodes.keys.first { $0 != leaderID }!
                let deadline = ContinuousClock.now + .seconds(20)

                // A follower refuses at once and names the leader and its address; nothing was written.
                try await nodes[follower]!.wait(until: .leader(leaderID), timeout: .seconds(10))
                try await nodes[follower]!.wait(until: .voters([1, 2, 3]), timeout: .seconds(10))
                await #expect(throws: RaftError<String>.forwardToLeader(leaderID: leaderID, address: "node-\(leaderID)")) {
                    try await nodes[follower]!.write(.put(key: "k", value: "v"))
                }
                #expect(try await write(.put(key: "k", value: "v"), idempotent: true, to: nodes, deadline: deadline) == .written(previous: nil))

                // A leader cut off from its followers cannot commit: the write's fate is unknown.
                router.isolate(leaderID)
                do throws(RaftError<String>) {
                    _ = try await nodes[leaderID]!.write(.put(key: "k", value: "lost?"), timeout: .milliseconds(200))
                    Issue.record("an isolated leader committed a write")
                } catch {
                    #expect(error.mayHaveBeenApplied && !error.isRetryable, "\(error)")
                }
                router.healAll()

                // An exactly-once command is retried with the same sequence number: applied once.
                var client = ExactlyOnceClient()
                let add = client.next(.compareAndSet(key: "counter", expected: nil, new: "1"))
                let first = try await write(add, idempotent: true, to: nodes, deadline: deadline)
                let retry = try await write(add, idempotent: true, to: nodes, deadline: deadline)
                #expect(first == .compareAndSet(succeeded: true, current: "1"))
                #expect(retry == first)
                for node in nodes.values { await node.shutdown() }
            }
        }
    }
}
