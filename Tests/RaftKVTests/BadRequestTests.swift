import Foundation
import NIOHTTP1
import Raft
import RaftCore
import RaftKV
import Testing

extension RaftKVTests {
    @Suite("bad requests")
    struct BadRequests {
        @Test func badRequestsGetClearErrorsAndTheNodeStaysUnharmed() async throws {
            try await withCluster { cluster in
                let leader = try await cluster.waitForLeader()
                let follower = cluster.followers(of: leader)[0]
                let cases: [(HTTPMethod, String, String?, Int, String)] = [
                    (.POST, "/v1/txn", "{not json", 400, "invalid_json"),
                    (.POST, "/v1/txn", #"{"success":[{"op":"put","key":"a"}]}"#, 400, "invalid_txn"),
                    (.POST, "/v1/txn", #"{"compare":[{"key":"a"}]}"#, 400, "invalid_txn"),
                    (.POST, "/v1/txn", #"{"success":"nope"}"#, 400, "invalid_json"),
                    (.PUT, "/v1/kv/" + String(repeating: "k", count: 5000), "v", 413, "key_too_large"),
                    (.PUT, "/v1/kv/big", String(repeating: "v", count: (1 << 20) + 1), 413, "body_too_large"),
                    (.PUT, "/v1/kv/", "v", 400, "invalid_key"),
                    (.PUT, "/v1/kv/k?prevExist=maybe", "v", 400, "invalid_query"),
                    (.PUT, "/v1/kv/k?colour=red", "v", 400, "invalid_query"),
                    (.GET, "/v1/kv?limit=0", nil, 400, "invalid_query"),
                    (.GET, "/v1/kv?limit=ten", nil, 400, "invalid_query"),
                    (.GET, "/v2/keys/k", nil, 404, "unknown_route"),
                    (.GET, "/v1/cluster/nothing", nil, 404, "unknown_route"),
                    (.POST, "/v1/kv/k", "v", 405, "method_not_allowed"),
                    (.GET, "/v1/cluster/init", nil, 405, "method_not_allowed"),
                    (.POST, "/v1/cluster/members", #"{"add":[]}"#, 400, "invalid_membership_change"),
                    (.POST, "/v1/cluster/learners", #"{"id":9,"raft":"nowhere","http":"x:1"}"#, 400, "invalid_address"),
                    (.POST, "/v1/cluster/init", nil, 409, "already_initialized"),
                ]
                for node in [leader, follower] {
                    for (method, path, body, status, code) in cases {
                        let answer = try await cluster.send(method, to: node, path, body: body)
                        #expect(answer.status == status && answer.code == code, "\(method) \(path) on node \(node): \(answer.status) \(answer.text.prefix(300))")
                        #expect(answer.json["message"] is String)
                    }
                }
                let invalidUTF8 = try await cluster.send(.PUT, url: cluster.url(leader, "/v1/kv/bytes"), body: [0xff, 0xfe])
                #expect(invalidUTF8.status == 400 && invalidUTF8.code == "invalid_value", "\(invalidUTF8)")
                // Unharmed: writes and reads work on both, and nothing of the above was written.
                #expect(try await cluster.send(.PUT, to: follower, "/v1/kv/after", body: "fine").status == 200)
                #expect(try await cluster.send(.GET, to: leader, "/v1/kv/after").json["value"] as? String == "fine")
                let all = try await cluster.send(.GET, to: leader, "/v1/kv")
                #expect((all.json["items"] as? [[String: String]])?.map { $0["key"]! } == ["after"], "\(all)")
            }
        }

        @Test func adminRoutesNeedTheTokenWhenOneIsSet() async throws {
            try await withCluster(adminToken: "s3cret") { cluster in
                let leader = try await cluster.waitForLeader()
                cluster.adminToken = nil
                let refused = try await cluster.send(.GET, to: leader, "/v1/cluster/status")
                #expect(refused.status == 401 && refused.code == "unauthorized", "\(refused)")
                let wrong = try await cluster.send(.POST, to: leader, "/v1/cluster/snapshot", headers: [("Authorization", "Bearer guess")])
                #expect(wrong.status == 401)
                // Data routes need no token.
                #expect(try await cluster.send(.PUT, to: leader, "/v1/kv/k", body: "v").status == 200)
                cluster.adminToken = "s3cret"
                #expect(try await cluster.send(.GET, to: leader, "/v1/cluster/status").status == 200)
            }
        }

        @Test func anUninitializedNodeHasNoLeaderAndAnswers503WithRetryAfter() async throws {
            let cluster = KVTestCluster()
            do {
                try await cluster.startNode(1)
                let answer = try await cluster.send(.GET, to: 1, "/v1/kv/k")
                #expect(answer.status == 503 && answer.code == "no_leader", "\(answer)")
                #expect(answer.headers["Retry-After"] == ["1"])
                #expect(answer.json["retryable"] as? Bool == true)
                #expect(try await cluster.send(.GET, to: 1, "/health").status == 200)
                #expect(try await cluster.send(.GET, to: 1, "/ready").status == 503)
                // A bodiless init forms a cluster of the configured peers (none) and this node.
                #expect(try await cluster.send(.POST, to: 1, "/v1/cluster/init").status == 200)
                _ = try await cluster.waitForLeader()
                #expect(try await cluster.send(.PUT, to: 1, "/v1/kv/k", body: "v").status == 200)
            } catch {
                await cluster.shutdown()
                throw error
            }
            await cluster.shutdown()
        }
    }
}
