import Foundation
import Raft
import RaftNIO
import Testing

/// The README's "Running a cluster across machines" code, compiled here and run with three
/// "machines" on loopback.
@Suite("RaftNIO: README cluster example")
struct ReadmeClusterExampleTests {
    @Test func threeMembersFormAClusterAndSurviveARestart() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("raft-readme-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var peers: [NodeID: String] = [:]
        for id: NodeID in 1...3 { peers[id] = "127.0.0.1:\(try closedPort())" }
        var members: [NodeID: ClusterMember] = [:]
        for id: NodeID in 1...3 {
            members[id] = try await ClusterMember.start(id: id, peers: peers, listenHost: "127.0.0.1", dataDirectory: "\(root)/node-\(id)")
        }
        try await writeToLeader(members, .put(key: "greeting", value: "hello"))
        // A member restarts from its data directory and catches up.
        await members[2]!.stop()
        members[2] = try await ClusterMember.start(id: 2, peers: peers, listenHost: "127.0.0.1", dataDirectory: "\(root)/node-2")
        try await writeToLeader(members, .put(key: "greeting", value: "hello again"))
        let deadline = ContinuousClock.now + .seconds(15)
        while members[2]!.stateMachine.value(forKey: "greeting") != "hello again", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(members[2]!.stateMachine.value(forKey: "greeting") == "hello again")
        for member in members.values { await member.stop() }
    }

    func writeToLeader(_ members: [NodeID: ClusterMember], _ command: KVCommand) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            if let leader = members.values.first(where: { $0.node.metrics.isLeader }) {
                do {
                    _ = try await leader.node.write(command)
                    return
                } catch {
                    // Puts are idempotent: an unknown outcome is retried too.
                    guard error.isRetryable || error.mayHaveBeenApplied, ContinuousClock.now < deadline else { throw error }
                }
            } else if ContinuousClock.now >= deadline {
                throw ClusterTimeout(what: "a leader")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The README shows exactly the code this suite compiles.
    @Test func readmeShowsTheCompiledExample() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: here.deletingLastPathComponent().appendingPathComponent("ReadmeClusterExample.swift"), encoding: .utf8)
        guard let start = source.range(of: "// README-CLUSTER-EXAMPLE-BEGIN\n"), let end = source.range(of: "// README-CLUSTER-EXAMPLE-END") else {
            Issue.record("markers missing")
            return
        }
        let example = String(source[start.upperBound..<end.lowerBound])
        #expect(readme.contains(example), "README.md must contain the example of ReadmeClusterExample.swift verbatim")
    }
}
