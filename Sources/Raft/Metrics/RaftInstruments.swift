import CoreMetrics

/// swift-metrics instruments of one node. Created only when a metrics backend is
/// bootstrapped, so a node without one pays nothing but a nil check.
struct RaftInstruments: Sendable {
    let commitLatency: CoreMetrics.Timer
    let appendBatchSize: Recorder
    let applyBatchSize: Recorder
    let applyLatency: CoreMetrics.Timer
    let logFlushLatency: CoreMetrics.Timer
    let elections: Counter
    let leaderChanges: Counter
    let rejectedMessages: Counter
    let snapshotsSent: Counter
    private let nodeID: NodeID
    let loopBatchSize: Recorder

    /// Instruments labelled with the node id, or nil when no backend is bootstrapped.
    static func make(nodeID: NodeID) -> RaftInstruments? {
        if MetricsSystem.factory is NOOPMetricsHandler { return nil }
        let dimensions = [("node", String(nodeID))]
        return RaftInstruments(
            commitLatency: Timer(label: "raft_commit_latency", dimensions: dimensions),
            appendBatchSize: Recorder(label: "raft_append_batch_size", dimensions: dimensions),
            applyBatchSize: Recorder(label: "raft_apply_batch_size", dimensions: dimensions),
            applyLatency: Timer(label: "raft_apply_latency", dimensions: dimensions),
            logFlushLatency: Timer(label: "raft_log_flush_latency", dimensions: dimensions),
            elections: Counter(label: "raft_elections_total", dimensions: dimensions),
            leaderChanges: Counter(label: "raft_leader_changes_total", dimensions: dimensions),
            rejectedMessages: Counter(label: "raft_rejected_messages_total", dimensions: dimensions),
            snapshotsSent: Counter(label: "raft_snapshots_sent_total", dimensions: dimensions),
            nodeID: nodeID,
            loopBatchSize: Recorder(label: "raft_loop_batch_size", dimensions: dimensions)
        )
    }

    /// The replication-lag recorder of one peer; the caller keeps it (creating one is a
    /// factory lookup).
    func replicationLag(_ peer: NodeID) -> Recorder {
        Recorder(label: "raft_replication_lag_entries", dimensions: [("node", String(nodeID)), ("peer", String(peer))])
    }
}
