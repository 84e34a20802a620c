import ArgumentParser
import Foundation
import RaftChaos

/// `raft-chaos`: a chaos test of raft-kv on real processes, checked for linearizability.
@main
struct RaftChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft-chaos",
        abstract: "Runs raft-kv serve processes behind fault proxies, injects faults on a seeded schedule while clients record a history, then heals and checks it.",
        discussion: """
        Faults: \(FaultKind.allCases.map(\.rawValue).joined(separator: ", ")). Disk faults need libfiu
        (apt-get install fiu-utils), clock jumps libfaketime (apt-get install faketime).
        A failed run keeps the history, the schedule and every node's log, and prints the command
        that replays its fault schedule. Exit status: 0 passed, 1 a check failed, 2 the run could
        not be carried out.
        """)

    @Option(help: "The seed of the fault schedule (default: random, printed).")
    var seed: UInt64?

    @Option(help: "Seconds of faults per run (the clients go on through healing and checks).")
    var duration: Int = 60

    @Option(help: "Runs, one after another, with seeds seed, seed+1, ...")
    var runs: Int = 1

    @Option(help: "Cluster size.")
    var nodes: Int = 5

    @Option(help: "Concurrent clients.")
    var clients: Int = 8

    @Option(help: "Keys the clients share.")
    var keys: Int = 5

    @Option(help: "Faults to inject: all, none, a list of kinds, or all,-kind.")
    var faults: String = "all"

    @Option(help: "The raft-kv executable (default: the one built beside raft-chaos).")
    var server: String?

    @Option(help: "Where runs keep their data, logs and histories (default: a new directory under $TMPDIR).")
    var directory: String?

    @Option(help: "Seconds the linearizability check may take.")
    var checkTimeLimit: Int = 120

    @Flag(help: "Keep data and logs of passing runs too.")
    var keep = false

    @Option(help: ArgumentHelp("Run a deliberately broken server (\(BrokenServer.allCases.map(\.rawValue).joined(separator: ", "))): the run must fail.", visibility: .hidden))
    var brokenServer: String?

    mutating func run() async throws {
        let kinds: Set<FaultKind>
        do { kinds = try FaultKind.parse(faults) } catch { throw ValidationError("\(error)") }
        guard nodes >= 3, clients >= 1, keys >= 1, duration >= 5, runs >= 1 else {
            throw ValidationError("need at least 3 nodes, 1 client, 1 key, 5 s and 1 run")
        }
        var broken: BrokenServer?
        if let brokenServer {
            guard let parsed = BrokenServer(rawValue: brokenServer) else { throw ValidationError("unknown broken server \(brokenServer)") }
            broken = parsed
        }
        let server = self.server ?? Self.builtServer()
        guard FileManager.default.isExecutableFile(atPath: server) else {
            throw ValidationError("no raft-kv executable at \(server): build it (swift build --product raft-kv) or pass --server")
        }
        let firstSeed = seed ?? UInt64.random(in: 1...999_999)
        let base = directory.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("raft-chaos-\(firstSeed)-\(getpid())")
        var failed: [UInt64] = []
        var reports: [ChaosReport] = []
        for index in 0..<runs {
            let runSeed = firstSeed &+ UInt64(index)
            var options = ChaosOptions(server: server, directory: base.appendingPathComponent("seed-\(runSeed)"), seed: runSeed)
            options.nodes = nodes
            options.clients = clients
            options.keys = keys
            options.duration = .seconds(duration)
            options.faults = kinds
            options.checkTimeLimit = .seconds(checkTimeLimit)
            options.keepArtifacts = keep
            options.brokenServer = broken
            print("raft-chaos: run \(index + 1)/\(runs), seed \(runSeed), \(duration) s of \(faults) on \(nodes) nodes")
            do {
                let report = try await ChaosRun(options: options).run()
                print(report.table)
                print("")
                reports.append(report)
                if !report.passed { failed.append(runSeed) }
            } catch {
                print("raft-chaos: seed \(runSeed) could not run: \(error)")
                print("replay: \(options.replayCommand)")
                throw ExitCode(2)
            }
        }
        if runs > 1 { print(ChaosReport.summary(of: reports)) }
        if !failed.isEmpty {
            print("raft-chaos: FAILED seeds \(failed.map(String.init).joined(separator: ", "))")
            throw ExitCode(1)
        }
    }

    /// `raft-kv` in the same build directory as this executable.
    static func builtServer() -> String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent("raft-kv").path
    }
}
