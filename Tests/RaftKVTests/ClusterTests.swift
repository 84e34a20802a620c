import Foundation
import NIOHTTP1
import Raft
import RaftCore
import RaftKV
import Synchronization
import Testing

extension RaftKVTests {
    @Suite("cluster")
    struct Cluster {
        /// Writes `count` keys `prefix-i`, retrying each (with its own request id) until it is
        /// acknowledged; returns the keys acknowledged.
        static func writeAll(_ cluster: KVTestCluster, prefix: String, count: Int, nodes: [NodeID]) async throws -> [String] {
            var acknowledged: [String] = []
            let client = UInt64.random(in: 1...UInt64.max / 2)
            for i in 0..<count {
                let key = "\(prefix)-\(i)"
                var attempt = 0
                while true {
                    let node = nodes[(i + attempt) % nodes.count]
                    let answer = try? await cluster.send(.PUT, to: node, "/v1/kv/\(key)", body: "v\(i)",
                                                         headers: [("Raft-Client-Id", "\(client)"), ("Raft-Request-Id", "\(i + 1)")])
                    if answer?.status == 200 {
                        acknowledged.append(key)
                        break
                    }
                    attempt += 1
                    if attempt > 200 { throw TestFailure("\(key) never acknowledged; last answer \(String(describing: answer))") }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            return acknowledged
        }

        @Test func theLeaderKilledFailsOverAndLosesNothingAcknowledged() async throws {
            try await withCluster { cluster in
                let oldLeader = try await cluster.waitForLeader()
                let before = try await Self.writeAll(cluster, prefix: "before", count: 20, nodes: [oldLeader])
                await cluster.stop(oldLeader, graceful: false)
                let survivors = cluster.servers.keys.sorted()
                let newLeader = try await cluster.waitForLeader()
                #expect(newLeader != oldLeader)
                // Writes continue through any survivor (forwarded to the new leader).
                let after = try await Self.writeAll(cluster, prefix: "after", count: 20, nodes: survivors)
                for key in before + after {
                    let read = try await cluster.send(.GET, to: survivors[0], "/v1/kv/\(key)")
                    #expect(read.status == 200, "\(key) acknowledged but \(read)")
                }
                // The old leader comes back from its data directory and catches up.
                try await cluster.startNode(oldLeader)
                let total = cluster.servers[newLeader]!.node.metrics.lastLogIndex
                try await cluster.eventually("the restarted node caught up") {
                    cluster.servers[oldLeader]!.node.metrics.appliedIndex >= total
                }
                let stale = try await cluster.send(.GET, to: oldLeader, "/v1/kv?consistency=stale&limit=100")
                #expect((stale.json["items"] as? [Any])?.count == 40, "\(stale)")
            }
        }

        @Test func aNodeRestartedFromItsDataDirectoryKeepsItsData() async throws {
            try await withCluster { cluster in
                let leader = try await cluster.waitForLeader()
                let follower = cluster.followers(of: leader)[0]
                _ = try await Self.writeAll(cluster, prefix: "k", count: 10, nodes: [leader])
                // A snapshot on the follower, then more log after it: restart replays both.
                let snapshot = try await cluster.send(.POST, to: follower, "/v1/cluster/snapshot")
                #expect(snapshot.status == 200 && (snapshot.json["snapshotIndex"] as? Int ?? 0) > 0, "\(snapshot)")
                _ = try await Self.writeAll(cluster, prefix: "m", count: 5, nodes: [leader])
                let applied = cluster.servers[leader]!.node.metrics.appliedIndex
                try await cluster.eventually("the follower applied everything") {
                    cluster.servers[follower]!.node.metrics.appliedIndex >= applied
                }
                await cluster.stop(follower)
                // Restarted alone (the others stopped too), it has its data before any leader exists.
                for id in cluster.servers.keys.sorted() { await cluster.stop(id) }
                let restarted = try await cluster.startNode(follower)
                try await cluster.eventually("the node replayed its log") { restarted.node.metrics.appliedIndex >= applied }
                #expect(restarted.store.value(forKey: "k-3") == "v3")
                #expect(restarted.store.value(forKey: "m-4") == "v4")
                // Alone it cannot commit: a write is refused as retryable (it still names the
                // leader it followed, whose address does not answer), never acknowledged.
                let alone = try await cluster.send(.PUT, to: follower, "/v1/kv/x", body: "y")
                #expect(alone.status == 503 && ["no_leader", "leader_unreachable"].contains(alone.code), "\(alone)")
                #expect(alone.headers["Retry-After"] == ["1"] && alone.json["retryable"] as? Bool == true)
                // Once it has campaigned in vain it names no leader: writes say no_leader and
                // /ready says not ready (it used to keep naming the leader of its vote).
                try await cluster.eventually("the lone node names no leader", timeout: .seconds(15)) {
                    try await cluster.send(.PUT, to: follower, "/v1/kv/x", body: "y").code == "no_leader"
                }
                #expect(try await cluster.send(.GET, to: follower, "/ready").status == 503)
                #expect(restarted.node.metrics.currentLeader == nil)
                // The others come back; the cluster serves again.
                for id: NodeID in [1, 2, 3] where id != follower { try await cluster.startNode(id) }
                _ = try await cluster.waitForLeader()
                try await cluster.eventually("ready") { try await cluster.send(.GET, to: follower, "/ready").status == 200 }
                #expect(try await cluster.send(.GET, to: follower, "/v1/kv/m-0").json["value"] as? String == "v0")
            }
        }

        @Test func aFourthNodeJoinsAsLearnerIsPromotedAndANodeIsRemoved() async throws {
            try await withCluster { cluster in
                let leader = try await cluster.waitForLeader()
                _ = try await Self.writeAll(cluster, prefix: "k", count: 5, nodes: [leader])
                let fourth = try await cluster.startNode(4)
                let follower = cluster.followers(of: leader).first { $0 != 4 }!
                // Sent to a follower: forwarded to the leader.
                let learner = try await cluster.send(
                    .POST, to: follower, "/v1/cluster/learners",
                    body: #"{"id":4,"raft":"\#(fourth.address.raft)","http":"\#(fourth.address.http)"}"#)
                #expect(learner.status == 200, "\(learner)")
                #expect(fourth.store.value(forKey: "k-4") == "v4", "caught up before the answer")
                var status = try await cluster.send(.GET, to: leader, "/v1/cluster/status")
                #expect((status.json["membership"] as? [String: Any])?["learners"] as? [Int] == [4], "\(status)")
                let followers = status.json["followers"] as? [[String: Any]] ?? []
                #expect(followers.map { $0["id"] as? Int } == [1, 2, 3, 4].filter { $0 != Int(leader) }, "\(status)")
                #expect(followers.allSatisfy { $0["matchIndex"] is Int && $0["lag"] is Int })

                let promote = try await cluster.send(.POST, to: leader, "/v1/cluster/members", body: #"{"promote":[4]}"#)
                #expect(promote.status == 200, "\(promote)")
                #expect((promote.json["membership"] as? [String: Any])?["voters"] as? [Int] == [1, 2, 3, 4], "\(promote)")

                let removed = cluster.followers(of: leader).first { $0 != 4 }!
                let remove = try await cluster.send(.POST, to: 4, "/v1/cluster/members", body: #"{"remove":[\#(removed)]}"#)
                #expect(remove.status == 200, "\(remove)")
                status = try await cluster.send(.GET, to: leader, "/v1/cluster/status")
                let voters = (status.json["membership"] as? [String: Any])?["voters"] as? [Int]
                #expect(voters == [1, 2, 3, 4].filter { $0 != Int(removed) }, "\(status)")
                await cluster.stop(removed)
                // The remaining three still commit.
                _ = try await Self.writeAll(cluster, prefix: "after", count: 3, nodes: cluster.servers.keys.sorted())
                let twoChanges = try await cluster.send(.POST, to: leader, "/v1/cluster/members", body: #"{"promote":[4],"remove":[1]}"#)
                #expect(twoChanges.status == 400 && twoChanges.code == "invalid_membership_change", "\(twoChanges)")
            }
        }

        @Test func leadershipTransferAndStatus() async throws {
            try await withCluster { cluster in
                let leader = try await cluster.waitForLeader()
                let target = cluster.followers(of: leader)[1]
                let transfer = try await cluster.send(.POST, to: cluster.followers(of: leader)[0], "/v1/cluster/transfer-leader", body: #"{"to":\#(target)}"#)
                #expect(transfer.status == 200, "\(transfer)")
                #expect(try await cluster.waitForLeader() == target)
                let status = try await cluster.send(.GET, to: target, "/v1/cluster/status")
                #expect(status.json["role"] as? String == "leader", "\(status)")
                #expect((status.json["leader"] as? [String: Any])?["http"] as? String == cluster.addresses[target]!.http)
                #expect(status.json["committed"] is Int && status.json["applied"] is Int && status.json["term"] is Int)
                let health = try await cluster.send(.GET, to: leader, "/health")
                #expect(health.status == 200)
                let metrics = try await cluster.send(.GET, to: target, "/metrics")
                #expect(metrics.status == 200 && metrics.text.contains("raft_kv_is_leader{node=\"\(target)\"} 1"), "\(metrics.text.prefix(2000))")
                #expect(metrics.text.contains("raft_kv_http_requests_total"))
            }
        }

        @Test func gracefulShutdownAnswersInFlightRequestsAndHandsLeadershipOver() async throws {
            try await withCluster { cluster in
                let leader = try await cluster.waitForLeader()
                // Writes keep going to the leader while it shuts down: each is answered
                // (acknowledged, or refused with a JSON error), none hangs, none is lost.
                let acknowledged = Acknowledged()
                let writers = Task {
                    await withTaskGroup(of: Void.self) { group in
                        for writer in 0..<4 {
                            group.addTask {
                                for i in 0..<1000 {
                                    guard let answer = try? await cluster.send(.PUT, to: leader, "/v1/kv/w\(writer)-\(i)", body: "x") else { return }
                                    if answer.status == 200 { acknowledged.add("w\(writer)-\(i)") } else {
                                        #expect(answer.code != nil, "an error answer has a code: \(answer)")
                                    }
                                }
                            }
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                let started = ContinuousClock.now
                await cluster.stop(leader, graceful: true)
                #expect(ContinuousClock.now - started < .seconds(20))
                await writers.value
                // Handed over: a new leader without waiting out an election timeout of silence.
                let newLeader = try await cluster.waitForLeader()
                #expect(newLeader != leader)
                let keys = acknowledged.keys
                #expect(!keys.isEmpty)
                for key in keys {
                    let read = try await cluster.send(.GET, to: newLeader, "/v1/kv/\(key)")
                    #expect(read.status == 200, "\(key) acknowledged but \(read)")
                }
            }
        }
    }
}

/// Keys acknowledged by concurrent writers.
final class Acknowledged: Sendable {
    private let stored = Mutex<[String]>([])

    func add(_ key: String) { stored.withLock { $0.append(key) } }
    var keys: [String] { stored.withLock { $0 } }
}
