import Foundation

/// What a chaos run does: the cluster, the workload, the faults and the checks.
public struct ChaosOptions: Sendable {
    /// The `raft-kv` executable the nodes run.
    public var server: String
    /// Where node data, node logs, the history and the report go.
    public var directory: URL
    public var seed: UInt64
    public var nodes = 5
    public var clients = 8
    public var keys = 5
    /// How long faults are injected (the workload runs this long, then through healing).
    public var duration: Duration = .seconds(60)
    public var faults: Set<FaultKind> = Set(FaultKind.allCases)
    /// How long one client request may take before it counts as unknown.
    public var requestTimeout: Duration = .seconds(3)
    /// The nodes' election timeout range, in milliseconds.
    public var electionTimeoutMilliseconds: ClosedRange<Int> = 500...1000
    /// After healing, writes must succeed within this long.
    public var livenessLimit: Duration = .seconds(10)
    /// The linearizability check's time limit (an undecided check fails the run).
    public var checkTimeLimit: Duration = .seconds(120)
    /// Keep node data and logs even when the run passes.
    public var keepArtifacts = false
    /// A deliberately broken server, to show the checks catch what they should.
    public var brokenServer: BrokenServer?

    public init(server: String, directory: URL, seed: UInt64) {
        self.server = server
        self.directory = directory
        self.seed = seed
    }

    /// The command that replays this run's fault schedule.
    public var replayCommand: String {
        let kinds = faults == Set(FaultKind.allCases) ? "all" : faults.sorted().map(\.rawValue).joined(separator: ",")
        let broken = brokenServer.map { " --broken-server \($0.rawValue)" } ?? ""
        return "swift run raft-chaos\(broken) --seed \(seed) --duration \(duration.components.seconds) --nodes \(nodes) --clients \(clients) --faults \(kinds)"
    }
}

/// Ways to break raft-kv on purpose (hidden flags of `raft-kv serve`): a run against one must
/// fail its checks, which is how the harness earns trust.
public enum BrokenServer: String, CaseIterable, Sendable {
    /// Every node answers linearizable and lease reads from its own applied state, without
    /// asking the leader or a quorum.
    case staleReads = "stale-reads"

    var serveArguments: [String] {
        switch self {
        case .staleReads: return ["--unsafe-local-reads"]
        }
    }
}
