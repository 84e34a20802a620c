import Foundation
@testable import RaftChaos
@testable import raft_chaos
import Testing

/// The `raft-chaos` lines of the guide's "Testing your application" article
/// (`Sources/Raft/Raft.docc/TestingYourApplication.md`) are real: each parses with the
/// command's own argument parser and names fault kinds that exist, the replay line is the one a
/// run prints, and the CI commands the article names are the ones `.ci/run` runs.
@Suite("guide: testing your application with raft-chaos")
struct TestingYourApplicationWithRaftChaos {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The lines of the article's ```sh blocks, comments after `#` dropped.
    static func shellLines() throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("Sources/Raft/Raft.docc/TestingYourApplication.md"), encoding: .utf8)
        var lines: [String] = []
        var inBlock = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line == "```sh" || (inBlock && line == "```") {
                inBlock.toggle()
            } else if inBlock {
                let command = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                lines.append(command.trimmingCharacters(in: .whitespaces))
            }
        }
        return lines
    }

    /// The arguments of every `swift run raft-chaos` line.
    static func chaosLines() throws -> [[String]] {
        try shellLines().filter { $0.hasPrefix("swift run raft-chaos ") }
            .map { $0.dropFirst("swift run raft-chaos ".count).split(separator: " ").map(String.init) }
    }

    @Test func everyRaftChaosLineParsesWithFaultKindsThatExist() throws {
        let lines = try Self.chaosLines()
        #expect(lines.count >= 6, "\(lines)")
        var brokenServers: [String] = []
        for arguments in lines {
            let command = try RaftChaosCommand.parse(arguments)
            #expect(!(try FaultKind.parse(command.faults)).isEmpty, "\(arguments)")
            #expect(command.seed != nil, "every line names its seed, so it repeats: \(arguments)")
            if let broken = command.brokenServer {
                #expect(BrokenServer(rawValue: broken) != nil, "\(arguments)")
                brokenServers.append(broken)
            }
        }
        #expect(brokenServers == ["stale-reads"])
        #expect(throws: (any Error).self) { try RaftChaosCommand.parse(["--seed", "1", "--no-such-option"]) }
    }

    /// The replay line the article shows is what a run with the CI line's options prints.
    @Test func theReplayLineIsTheOneARunPrints() throws {
        var options = ChaosOptions(server: "raft-kv", directory: URL(fileURLWithPath: NSTemporaryDirectory()), seed: 1)
        options.duration = .seconds(90)
        #expect(try Self.shellLines().contains(options.replayCommand), "\(options.replayCommand)")
    }

    @Test func theCICommandsAreTheOnesCIRuns() throws {
        let ci = try String(contentsOf: Self.root.appendingPathComponent(".ci/run"), encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let article = try Self.shellLines()
        // CI bounds the run with `timeout`; the command inside is the article's.
        let chaos = "swift run raft-chaos --seed 1 --duration 90"
        let ciChaos = ci.filter { $0 == chaos || ($0.hasPrefix("timeout ") && $0.hasSuffix(" " + chaos)) }
        #expect(ciChaos.count == 1, "\(ci.filter { $0.contains("raft-chaos") })")
        #expect(article.contains(chaos))
        // CI tries seeds 3, 4 and 5 of the broken server; the article shows the first.
        let broken = try #require(ci.first { $0.contains("--broken-server") })
        let command = try #require(broken.components(separatedBy: "swift run ").dropFirst().first?.components(separatedBy: " >").first)
        #expect(article.contains("swift run " + command.replacingOccurrences(of: "\"$seed\"", with: "3")), "\(command)")
    }
}
