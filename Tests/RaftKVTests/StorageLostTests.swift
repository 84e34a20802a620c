import Foundation
import Raft
import RaftCore
import Testing
@testable import RaftKV

extension RaftKVTests {
    /// A member restarted with `--storage-lost` stays out of elections until an operator
    /// resumes its voting, across restarts too, and never forms a cluster of its own.
    @Suite("storage lost")
    struct StorageLost {
        /// Restarted without the flag before the procedure ends, the node is still suspended
        /// (the marker in its data directory says so); once resumed, later restarts vote.
        @Test func theSuspensionOutlivesARestartUntilVotingResumes() async throws {
            try await withCluster { cluster in
                let leader = try await cluster.waitForLeader()
                _ = try await Cluster.writeAll(cluster, prefix: "k", count: 3, nodes: [leader])
                let wiped = cluster.followers(of: leader)[0]
                await cluster.stop(wiped, graceful: false)
                try FileManager.default.removeItem(atPath: cluster.root + "/node-\(wiped)")
                let marker = cluster.root + "/node-\(wiped)/storage-lost"

                try await cluster.startNode(wiped) { $0.storageLost = true }
                #expect(cluster.servers[wiped]!.node.metrics.votingSuspended)
                #expect(FileManager.default.fileExists(atPath: marker))
                await cluster.stop(wiped)

                // A supervisor restarts it with its usual options: still suspended.
                try await cluster.startNode(wiped)
                #expect(cluster.servers[wiped]!.node.metrics.votingSuspended, "a restart without --storage-lost ended the suspension")
                let status = try await cluster.send(.GET, to: wiped, "/v1/cluster/status")
                #expect(status.json["votingSuspended"] as? Bool == true, "\(status)")

                let resumed = try await cluster.send(.POST, to: wiped, "/v1/cluster/resume-voting")
                #expect(resumed.status == 200 && resumed.json["wasSuspended"] as? Bool == true, "\(resumed)")
                #expect(!FileManager.default.fileExists(atPath: marker))
                try await cluster.eventually("voting resumed") { !cluster.servers[wiped]!.node.metrics.votingSuspended }
                await cluster.stop(wiped)
                try await cluster.startNode(wiped)
                #expect(!cluster.servers[wiped]!.node.metrics.votingSuspended)
                try await cluster.eventually("the node caught up") { cluster.servers[wiped]!.store.value(forKey: "k-2") == "v2" }
            }
        }

        /// `--init` beside `--storage-lost` is refused before anything starts; a storage-lost
        /// node asked to form a cluster over HTTP answers 409 storage_lost and stays pristine.
        @Test func aStorageLostNodeNeverFormsAClusterOfItsOwn() async throws {
            let arguments = ["--id", "1", "--data-dir", "/tmp/unused", "--raft-listen", "127.0.0.1:7001", "--http-listen", "127.0.0.1:8001", "--storage-lost", "--init"]
            do {
                _ = try ServeCommand.parse(arguments).makeConfiguration()
                Issue.record("--storage-lost with --init was accepted")
            } catch {
                #expect("\(error)".contains("--storage-lost and --init"), "\(error)")
            }
            #expect(try ServeCommand.parse(Array(arguments.dropLast())).makeConfiguration().storageLost)

            let cluster = KVTestCluster()
            do {
                // Alone, with peers that do not exist: nothing can reach it with a log.
                let server = try await cluster.startNode(1) {
                    $0.storageLost = true
                    $0.peers = [2: MemberAddress(raft: "127.0.0.1:1", http: "127.0.0.1:1")]
                }
                let answer = try await cluster.send(.POST, to: 1, "/v1/cluster/init")
                #expect(answer.status == 409 && answer.code == "storage_lost", "\(answer)")
                #expect(server.node.metrics.lastLogID == nil)
            } catch {
                await cluster.shutdown()
                throw error
            }
            await cluster.shutdown()
        }
    }
}
