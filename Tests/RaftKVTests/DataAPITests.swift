import Foundation
import NIOHTTP1
import Raft
import RaftCore
import RaftKV
import Testing

/// Every test runs a 3-node cluster of `RaftKVServer`s in this process; one at a time, so a
/// loaded 2-core machine serves one cluster.
@Suite("RaftKV", .serialized, .ownThread)
struct RaftKVTests {}

extension RaftKVTests {
    @Suite("data API")
    struct DataAPI {
        @Test func putGetDeleteAndCompareAndSetOnTheLeader() async throws {
            try await withCluster { cluster in
                let leader = try await cluster.waitForLeader()

                let put = try await cluster.send(.PUT, to: leader, "/v1/kv/greeting", body: "hello")
                #expect(put.status == 200, "\(put)")
                let index = try #require(put.json["index"] as? Int)
                #expect(index > 0)
                #expect(put.json["term"] as? Int ?? 0 > 0)
                #expect(put.json["previous"] == nil)

                let get = try await cluster.send(.GET, to: leader, "/v1/kv/greeting")
                #expect(get.status == 200 && get.json["value"] as? String == "hello", "\(get)")

                // Compare-and-set: a wrong expected value changes nothing (412, with the current value).
                let mismatch = try await cluster.send(.PUT, to: leader, "/v1/kv/greeting?prevValue=bye", body: "hi")
                #expect(mismatch.status == 412 && mismatch.code == "compare_failed", "\(mismatch)")
                #expect(mismatch.json["current"] as? String == "hello")
                let swap = try await cluster.send(.PUT, to: leader, "/v1/kv/greeting?prevValue=hello", body: "hello, raft")
                #expect(swap.status == 200, "\(swap)")
                #expect(try await cluster.send(.GET, to: leader, "/v1/kv/greeting").json["value"] as? String == "hello, raft")

                // Create only if absent.
                let create = try await cluster.send(.PUT, to: leader, "/v1/kv/greeting?prevExist=false", body: "again")
                #expect(create.status == 412, "\(create)")
                #expect(try await cluster.send(.PUT, to: leader, "/v1/kv/fresh?prevExist=false", body: "new").status == 200)

                // A key with slashes and escaped characters.
                #expect(try await cluster.send(.PUT, to: leader, "/v1/kv/dir/sub%20key", body: "x").status == 200)
                #expect(try await cluster.send(.GET, to: leader, "/v1/kv/dir/sub%20key").json["key"] as? String == "dir/sub key")

                let delete = try await cluster.send(.DELETE, to: leader, "/v1/kv/greeting")
                #expect(delete.status == 200 && delete.json["deleted"] as? Bool == true && delete.json["previous"] as? String == "hello, raft", "\(delete)")
                let gone = try await cluster.send(.GET, to: leader, "/v1/kv/greeting")
                #expect(gone.status == 404 && gone.code == "key_not_found", "\(gone)")
                let deleteAgain = try await cluster.send(.DELETE, to: leader, "/v1/kv/greeting")
                #expect(deleteAgain.status == 200 && deleteAgain.json["deleted"] as? Bool == false)
            }
        }

        @Test func transactionsApplyAllOrNothingAndPrefixReadsListInOrder() async throws {
            try await withCluster { cluster in
                let leader = try await cluster.waitForLeader()
                for (key, value) in [("users/b", "2"), ("users/a", "1"), ("other", "o"), ("users/c", "3")] {
                    #expect(try await cluster.send(.PUT, to: leader, "/v1/kv/\(key)", body: value).status == 200)
                }
                let list = try await cluster.send(.GET, to: leader, "/v1/kv?prefix=users/")
                let items = try #require(list.json["items"] as? [[String: String]], "\(list)")
                #expect(items.map { $0["key"]! } == ["users/a", "users/b", "users/c"])
                #expect(items.map { $0["value"]! } == ["1", "2", "3"])
                #expect(list.json["more"] as? Bool == false)
                let limited = try await cluster.send(.GET, to: leader, "/v1/kv?prefix=users/&limit=2")
                #expect((limited.json["items"] as? [[String: String]])?.map { $0["key"]! } == ["users/a", "users/b"])
                #expect(limited.json["more"] as? Bool == true)

                // The compares hold: both writes apply in one entry.
                let transfer = """
                    {"compare":[{"key":"users/a","value":"1"},{"key":"users/z","exists":false}],
                     "success":[{"op":"put","key":"users/a","value":"0"},{"op":"put","key":"users/z","value":"26"},{"op":"delete","key":"other"}],
                     "failure":[{"op":"put","key":"failed","value":"yes"}]}
                    """
                let first = try await cluster.send(.POST, to: leader, "/v1/txn", body: transfer)
                #expect(first.status == 200 && first.json["succeeded"] as? Bool == true, "\(first)")
                // Now they fail: only the failure branch applies.
                let second = try await cluster.send(.POST, to: leader, "/v1/txn", body: transfer)
                #expect(second.status == 200 && second.json["succeeded"] as? Bool == false, "\(second)")
                #expect(try #require(second.json["index"] as? Int) > (first.json["index"] as? Int ?? 0))

                let all = try await cluster.send(.GET, to: leader, "/v1/kv")
                let pairs = (all.json["items"] as? [[String: String]] ?? []).map { "\($0["key"]!)=\($0["value"]!)" }
                #expect(pairs == ["failed=yes", "users/a=0", "users/b=2", "users/c=3", "users/z=26"])
            }
        }

        @Test func readsAtEveryConsistencyOnLeaderAndFollowers() async throws {
            try await withCluster { cluster in
                let leader = try await cluster.waitForLeader()
                let follower = cluster.followers(of: leader)[0]
                let put = try await cluster.send(.PUT, to: leader, "/v1/kv/k", body: "v1")
                let index = try #require(put.json["index"] as? Int)

                for consistency in ["linearizable", "lease"] {
                    for node in [leader, follower] {
                        let read = try await cluster.send(.GET, to: node, "/v1/kv/k?consistency=\(consistency)")
                        #expect(read.status == 200 && read.json["value"] as? String == "v1", "\(consistency) on \(node): \(read)")
                    }
                }
                // Stale reads answer from the follower's own state: once it applied the write.
                try await cluster.eventually("the follower applied the write") {
                    cluster.servers[follower]!.node.metrics.appliedIndex >= UInt64(index)
                }
                let stale = try await cluster.send(.GET, to: follower, "/v1/kv/k?consistency=stale")
                #expect(stale.status == 200 && stale.json["value"] as? String == "v1", "\(stale)")
                #expect(stale.headers["Raft-Served-By"].isEmpty, "a stale read is served locally")
                let linearizable = try await cluster.send(.GET, to: follower, "/v1/kv/k")
                #expect(linearizable.headers["Raft-Served-By"] == ["\(leader)"], "forwarded to the leader")
                let bad = try await cluster.send(.GET, to: follower, "/v1/kv/k?consistency=eventual")
                #expect(bad.status == 400 && bad.code == "invalid_query", "\(bad)")
            }
        }

        @Test func writesToAFollowerAreForwardedOrRedirected() async throws {
            try await withCluster { cluster in
                let leader = try await cluster.waitForLeader()
                let follower = cluster.followers(of: leader)[0]

                let forwarded = try await cluster.send(.PUT, to: follower, "/v1/kv/via-follower", body: "forwarded")
                #expect(forwarded.status == 200, "\(forwarded)")
                #expect(forwarded.headers["Raft-Served-By"] == ["\(leader)"])
                #expect(try await cluster.send(.GET, to: leader, "/v1/kv/via-follower").json["value"] as? String == "forwarded")
                let txn = try await cluster.send(.POST, to: follower, "/v1/txn", body: #"{"success":[{"op":"delete","key":"via-follower"}]}"#)
                #expect(txn.status == 200 && txn.json["succeeded"] as? Bool == true, "\(txn)")

                let redirect = try await cluster.send(.PUT, to: follower, "/v1/kv/redirected?redirect=true", body: "r")
                #expect(redirect.status == 307, "\(redirect)")
                let location = try #require(redirect.headers["Location"].first)
                #expect(location == "http://\(cluster.addresses[leader]!.http)/v1/kv/redirected?redirect=true")
                let leaderHint = try #require(redirect.json["leader"] as? [String: Any])
                #expect(leaderHint["id"] as? Int == Int(leader))
                #expect(leaderHint["http"] as? String == cluster.addresses[leader]!.http)
                // Nothing was written by the redirect; following it writes.
                #expect(try await cluster.send(.GET, to: leader, "/v1/kv/redirected").status == 404)
                let followed = try await cluster.send(.PUT, url: location, body: Array("r".utf8))
                #expect(followed.status == 200, "\(followed)")
            }
        }

        @Test func aRetriedExactlyOnceRequestAppliesOnce() async throws {
            try await withCluster { cluster in
                let leader = try await cluster.waitForLeader()
                let follower = cluster.followers(of: leader)[0]
                #expect(try await cluster.send(.PUT, to: leader, "/v1/kv/counter", body: "1").status == 200)
                let session = [("Raft-Client-Id", "4242"), ("Raft-Request-Id", "1")]
                let first = try await cluster.send(.PUT, to: follower, "/v1/kv/counter?prevValue=1", body: "2", headers: session)
                #expect(first.status == 200, "\(first)")
                // A retry (as after a timeout) is answered with the first result, not applied again:
                // applied again, the compare would fail.
                let retry = try await cluster.send(.PUT, to: leader, "/v1/kv/counter?prevValue=1", body: "2", headers: session)
                #expect(retry.status == 200, "\(retry)")
                #expect(retry.json["index"] as? Int == first.json["index"] as? Int)
                // Another request of the session applies.
                let next = try await cluster.send(.PUT, to: leader, "/v1/kv/counter?prevValue=2", body: "3", headers: [("Raft-Client-Id", "4242"), ("Raft-Request-Id", "2")])
                #expect(next.status == 200, "\(next)")
                #expect(try await cluster.send(.GET, to: leader, "/v1/kv/counter").json["value"] as? String == "3")
                let half = try await cluster.send(.PUT, to: leader, "/v1/kv/counter", body: "x", headers: [("Raft-Request-Id", "3")])
                #expect(half.status == 400 && half.code == "invalid_request_id", "\(half)")
            }
        }
    }
}
