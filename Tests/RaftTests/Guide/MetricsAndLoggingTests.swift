// No `import Logging`: the guide promises `import Raft` brings what logging needs (a file
// sees only the top-level names its own imports bring, so this file would not compile if
// the re-export broke).
import CoreMetrics
import Prometheus
import Raft
import RaftTesting
import Synchronization
import Testing

/// Sends every node's swift-metrics instruments to a Prometheus registry. Bootstrap once, at
/// process start, before any node starts: a node creates its instruments when it starts,
/// and only if a backend is bootstrapped by then.
func bootstrapPrometheus() -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}

/// What an HTTP server's `GET /metrics` handler answers: the registry in Prometheus's text
/// format.
func metricsPage(_ registry: PrometheusCollectorRegistry) -> String {
    registry.emitToString()
}

/// A node's logger: its label names the component, metadata on every line names the node,
/// and the level says how much to log (`info`: role, leader and membership changes only).
func nodeLogger(id: NodeID, level: Logger.Level) -> Logger {
    var logger = Logger(label: "inventory.raft")
    logger.logLevel = level
    logger[metadataKey: "node"] = "\(id)"
    return logger
}

/// A log handler that keeps the messages it is given (for the test).
struct CollectingLogHandler: LogHandler {
    let lines: Mutex<[String]>.Shared
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.value.withLock { $0.append("\(event.level) \(event.message)") }
    }
}

extension Mutex {
    /// A mutex shared by reference, so a copied log handler appends to the same list.
    final class Shared: Sendable where Value: Sendable {
        let value: Mutex<Value>
        init(_ value: sending Value) { self.value = Mutex(value) }
    }
}

/// The registry of the one bootstrap this test process may make.
let guideRegistry = bootstrapPrometheus()

extension GuideSuites {
    @Suite("Guide: Metrics and logging")
    struct MetricsAndLoggingTests {
        @Test func aClusterReportsItsInstrumentsToPrometheusAndLogsItsLeader() async throws {
            // Leadership can still move on a starved machine: a fresh cluster is then tried.
            try await retryingLeadershipChanges {
                let registry = guideRegistry
                let lines = Mutex<[String]>.Shared([])
                let router = InProcessRouter<KVTypes>()
                var nodes: [RaftNode<KVTypes>] = []
                for id: NodeID in 1...3 {
                    var logger = Logger(label: "inventory.raft") { _ in CollectingLogHandler(lines: lines) }
                    logger.logLevel = .info
                    let node = try await RaftNode.start(
                        id: id, config: withGenerousTimeouts(), logStore: MemoryLogStore<KVTypes>(), stateMachine: MemoryKVStateMachine(),
                        network: router.network(for: id),
                        logger: id == 1 ? logger : nodeLogger(id: id, level: .warning))
                    router.register(node)
                    nodes.append(node)
                }
                try await nodes[0].initialize(Membership(voters: [1: "node-1", 2: "node-2", 3: "node-3"]))
                try await nodes[0].wait(until: .state(.leader), timeout: .seconds(10))
                for index in 0..<20 { _ = try await nodes[0].write(.put(key: "k", value: "\(index)")) }

                let page = metricsPage(registry)
                for name in ["raft_commit_latency", "raft_apply_batch_size", "raft_leader_changes_total", "raft_elections_total", "raft_loop_batch_size"] {
                    #expect(page.contains(name), "\(name) missing from:\n\(page.prefix(2000))")
                }
                #expect(page.contains(#"raft_replication_lag_entries"#))
                #expect(lines.value.withLock { $0 }.contains { $0.hasPrefix("info became leader") })
                for node in nodes { await node.shutdown() }
            }
        }
    }
}
