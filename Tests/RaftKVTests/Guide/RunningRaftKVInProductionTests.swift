import Foundation
import NIOHTTP1
import Raft
import RaftCore
@testable import RaftKV
import Testing

extension RaftKVTests {
    /// The shell lines of the guide's "Running raft-kv in production" article
    /// (`Sources/Raft/Raft.docc/RunningRaftKVInProduction.md`) are real: its openssl lines make
    /// certificates that `serve` loads, every `raft-kv` line parses with the command's own
    /// argument parser (and every `serve` line builds its configuration), the timing the article
    /// states is the timing those lines configure, its curl routes answer on a real node, and
    /// its procedure for a wiped node re-admits one.
    @Suite("guide: running raft-kv in production")
    struct RunningRaftKVInProduction {
        static let article = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Raft/Raft.docc/RunningRaftKVInProduction.md")

        /// The article's ```sh blocks, each as its commands: continuation lines joined, indentation
        /// (an example inside a list item) dropped.
        static func shellBlocks() throws -> [[String]] {
            let text = try String(contentsOf: article, encoding: .utf8)
            var blocks: [[String]] = []
            var current: [String]?
            var pending = ""
            for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let line = rawLine.trimmingCharacters(in: .whitespaces)
                if current == nil {
                    if line == "```sh" { current = [] }
                    continue
                }
                if line == "```" {
                    blocks.append(current!)
                    current = nil
                    continue
                }
                if line.hasSuffix("\\") {
                    pending += line.dropLast().trimmingCharacters(in: .whitespaces) + " "
                } else {
                    current!.append(pending + line)
                    pending = ""
                }
            }
            return blocks
        }

        /// A command line split into words as a POSIX shell splits it (quotes, no expansions).
        static func words(_ line: String) throws -> [String] {
            var words: [String] = []
            var word = ""
            var inWord = false
            var quote: Character?
            for character in line {
                if let open = quote {
                    if character == open { quote = nil } else { word.append(character) }
                } else if character == "'" || character == "\"" {
                    quote = character
                    inWord = true
                } else if character == " " {
                    if inWord { words.append(word) }
                    word = ""
                    inWord = false
                } else {
                    word.append(character)
                    inWord = true
                }
            }
            guard quote == nil else { throw TestFailure("unbalanced quote in: \(line)") }
            if inWord { words.append(word) }
            return words
        }

        /// The arguments of every `raft-kv` command line of the article.
        static func raftKVLines() throws -> [[String]] {
            try shellBlocks().joined().map(words).filter { $0.first == "raft-kv" }.map { Array($0.dropFirst()) }
        }

        /// Runs the article's certificate lines in `directory` for node 1, then again for each
        /// other node with its name and address put in.
        static func makeCertificates(in directory: String, nodes: [Int]) throws {
            let lines = try #require(try shellBlocks().first { $0.contains { $0.hasPrefix("openssl req -x509") } }, "the article's openssl block")
            func run(_ line: String) throws {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", line]
                process.currentDirectoryURL = URL(fileURLWithPath: directory)
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else { throw TestFailure("the article's line failed: \(line)") }
            }
            for line in lines { try run(line) }
            for node in nodes where node != 1 {
                for line in lines where line.contains("node-1") {
                    try run(line.replacingOccurrences(of: "node-1", with: "node-\(node)").replacingOccurrences(of: "10.0.0.1", with: "10.0.0.\(node)"))
                }
            }
        }

        @Test func everyRaftKVLineParsesAndEveryServeLineBuildsItsConfiguration() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("raft-kv-guide-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try Self.makeCertificates(in: directory, nodes: [1, 2, 3, 4])

            let lines = try Self.raftKVLines()
            var serves: [RaftKVConfiguration] = []
            var ctl: [String] = []
            for line in lines {
                // The certificates the article's openssl lines just made, where its lines keep them.
                let arguments = line.map { $0.replacingOccurrences(of: "/etc/raft-kv/tls", with: directory) }
                let command = try RaftKVCommand.parseAsRoot(arguments)
                if let serve = command as? ServeCommand {
                    serves.append(try serve.makeConfiguration())
                } else {
                    #expect(arguments.first == "ctl", "\(line)")
                    ctl.append(String(describing: type(of: command)))
                }
            }
            #expect(serves.count == 4, "the first start, a new member, the timing example and the storage-lost restart")
            #expect(Set(ctl) == ["Status", "Snapshot", "Transfer", "AddLearner", "Promote", "Remove", "Members"], "\(ctl)")

            // The first start forms the cluster over TLS with the admin token.
            let first = serves[0]
            #expect(first.initialize && first.clusterID == "prod" && first.peers.keys.sorted() == [2, 3])
            #expect(first.raftTLS != nil && first.httpTLS != nil && first.forwardingTLS != nil && first.adminToken != nil)
            // The new member does not form a cluster of its own; neither does the wiped one, which
            // starts with its voting suspended.
            #expect(serves[1].id == 4 && !serves[1].initialize && !serves[1].storageLost)
            let wiped = serves[3]
            #expect(wiped.id == 3 && wiped.storageLost && !wiped.initialize && wiped.raftTLS != nil)
            // Every member runs with one token, as the article says it must.
            #expect(Set(serves.compactMap(\.adminToken)).count == 1)

            // The timing table: the defaults, and what the example's options set.
            let defaults = first.raft.engine
            #expect(defaults.electionTimeoutMin == .milliseconds(1000) && defaults.electionTimeoutMax == .milliseconds(2000))
            #expect(defaults.heartbeatInterval == .milliseconds(100) && defaults.leaseDuration == .milliseconds(500))
            #expect(defaults.snapshotPolicy == .everyAppliedEntries(20_000) && defaults.logsKeptAfterSnapshot == 5000)
            #expect(first.requestTimeout == .seconds(5) && first.forwardTimeout == .seconds(5))
            let tuned = serves[2].raft.engine
            #expect(tuned.electionTimeoutMin == .milliseconds(3000) && tuned.electionTimeoutMax == .milliseconds(6000))
            #expect(tuned.heartbeatInterval == .milliseconds(600) && tuned.leaseDuration == .milliseconds(2400), "every MIN/5 ms; a lease of 4/5 of MIN")
            #expect(tuned.snapshotPolicy == .everyAppliedEntries(100_000) && tuned.logsKeptAfterSnapshot == 20_000)
        }

        /// The check fails on an option `serve` does not have.
        @Test func aLineWithAnUnknownOptionDoesNotParse() throws {
            let line = try #require(try Self.raftKVLines().first { $0.first == "serve" })
            #expect(throws: (any Error).self) { try RaftKVCommand.parseAsRoot(line + ["--election-timeout", "1000-2000"]) }
            #expect(try Self.words(#"curl -H 'Authorization: Bearer T' "a b""#) == ["curl", "-H", "Authorization: Bearer T", "a b"])
        }

        /// The article's procedure for a wiped node, step by step over the HTTP API: note the
        /// highest term, restart the node empty as storage-lost (no init), let it catch up, raise
        /// the term with a transfer, resume its voting on the node itself; then it counts toward
        /// the quorum again (with another voter stopped, the leader commits through it).
        @Test func aWipedNodeReadmittedByTheProcedureCountsTowardTheQuorumAgain() async throws {
            let cluster = try await KVTestCluster.start(nodes: 3, adminToken: "T")
            do {
                let leader = try await cluster.waitForLeader()
                _ = try await Cluster.writeAll(cluster, prefix: "before", count: 5, nodes: [leader])
                let wiped = cluster.followers(of: leader)[0]
                let other = cluster.followers(of: leader)[1]
                var highestTerm = 0
                for id in cluster.servers.keys.sorted() {
                    highestTerm = max(highestTerm, try await cluster.send(.GET, to: id, "/v1/cluster/status").json["term"] as? Int ?? .max)
                }
                await cluster.stop(wiped, graceful: false)
                try FileManager.default.removeItem(atPath: cluster.root + "/node-\(wiped)")

                try await cluster.startNode(wiped) { $0.storageLost = true }
                let suspended = try await cluster.send(.GET, to: wiped, "/v1/cluster/status")
                #expect(suspended.json["votingSuspended"] as? Bool == true, "\(suspended)")
                try await cluster.eventually("the wiped node caught up") {
                    cluster.servers[wiped]!.node.metrics.appliedIndex >= cluster.servers[leader]!.node.metrics.committed.indexOrZero
                }
                let transfer = try await cluster.send(.POST, to: leader, "/v1/cluster/transfer-leader", body: #"{"to":\#(other)}"#)
                #expect(transfer.status == 200, "\(transfer)")
                try await cluster.eventually("the cluster's term passed the noted one") {
                    cluster.servers[wiped]!.node.metrics.currentTerm > highestTerm
                }
                let resumed = try await cluster.send(.POST, to: wiped, "/v1/cluster/resume-voting")
                #expect(resumed.status == 200 && resumed.json["wasSuspended"] as? Bool == true && resumed.json["votingSuspended"] as? Bool == false, "\(resumed)")

                await cluster.stop(leader)
                _ = try await Cluster.writeAll(cluster, prefix: "after", count: 3, nodes: [other, wiped])
                #expect(cluster.servers[wiped]!.store.value(forKey: "before-4") == "v4")
            } catch {
                await cluster.shutdown()
                throw error
            }
            await cluster.shutdown()
        }

        /// Every curl line's route, with its method, on a real node (plain HTTP on loopback; the
        /// article's token).
        @Test func theCurlLinesRoutesAnswer() async throws {
            let curls = try Self.shellBlocks().joined().map(Self.words).filter { $0.first == "curl" }
            #expect(curls.count >= 2)
            var token: String?
            for words in curls {
                if let header = words.first(where: { $0.hasPrefix("Authorization: Bearer ") }) { token = String(header.dropFirst("Authorization: Bearer ".count)) }
            }
            let adminToken: String = try #require(token, "the resume-voting line sends the admin token")
            let cluster = try await KVTestCluster.start(nodes: 1, adminToken: adminToken)
            do {
                _ = try await cluster.waitForLeader()
                for words in curls {
                    let method = words.firstIndex(of: "-X").map { HTTPMethod(rawValue: words[$0 + 1]) } ?? .GET
                    let url = try #require(URL(string: words.last!), "\(words)")
                    let answer = try await cluster.send(method, to: 1, url.path)
                    #expect(answer.status == 200, "\(method) \(url.path): \(answer)")
                }
            } catch {
                await cluster.shutdown()
                throw error
            }
            await cluster.shutdown()
        }
    }
}
