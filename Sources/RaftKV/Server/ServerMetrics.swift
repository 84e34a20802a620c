import Prometheus
import Raft
import RaftCore
import Synchronization

/// What `/metrics` reports of the server itself, on the server's Prometheus registry. Raft's
/// own instruments (commit and fsync latency, batch sizes...) appear there too when the
/// process bootstraps swift-metrics with a `PrometheusMetricsFactory` over the same registry,
/// as `raft-kv serve` does.
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let term: Gauge
    private let lastLogIndex: Gauge
    private let committedIndex: Gauge
    private let appliedIndex: Gauge
    private let isLeader: Gauge
    private let keys: Gauge
    private let forwardedTotal: Counter
    private let requests = Mutex<[String: (Counter, DurationHistogram)]>([:])

    init(registry: PrometheusCollectorRegistry, nodeID: NodeID) {
        self.registry = registry
        let labels = [("node", String(nodeID))]
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: Self.name(name, help: help), labels: labels)
        }
        term = gauge("term", "The node's current term")
        lastLogIndex = gauge("last_log_index", "Index of the node's last log entry")
        committedIndex = gauge("committed_index", "Index of the last entry known committed")
        appliedIndex = gauge("applied_index", "Index of the last entry applied to the store")
        isLeader = gauge("is_leader", "1 while the node leads")
        keys = gauge("keys", "Keys in the store")
        forwardedTotal = registry.makeCounter(descriptor: Self.name("forwarded_requests", unit: "total", help: "Requests forwarded to the leader"), labels: labels)
    }

    private static func name(_ metric: String, unit: String = "", help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "raft_kv", metricName: metric, unitName: unit, helpText: help)
    }

    func update(from metrics: RaftMetrics<StoreTypes>, keys count: Int) {
        term.set(to: Double(metrics.currentTerm))
        lastLogIndex.set(to: Double(metrics.lastLogIndex))
        committedIndex.set(to: Double(metrics.committed.indexOrZero))
        appliedIndex.set(to: Double(metrics.appliedIndex))
        isLeader.set(to: metrics.isLeader ? 1 : 0)
        keys.set(to: Double(count))
    }

    func forwarded() { forwardedTotal.increment() }

    func recordRequest(route: String, status: Int, duration: Duration) {
        let statusClass = "\(status / 100)xx"
        let key = route + " " + statusClass
        let (counter, histogram) = requests.withLock { requests in
            if let existing = requests[key] { return existing }
            let labels = [("route", route), ("status", statusClass)]
            let made = (
                registry.makeCounter(descriptor: Self.name("http_requests", unit: "total", help: "HTTP requests answered"), labels: labels),
                registry.makeDurationHistogram(
                    descriptor: Self.name("http_request_duration", unit: "seconds", help: "Time to answer an HTTP request"), labels: labels,
                    buckets: [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                              .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5)]))
            requests[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }
}
