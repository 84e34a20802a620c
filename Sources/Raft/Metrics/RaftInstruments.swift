import CoreMetrics

/// swift-metrics instruments of one node. Created only when a metrics backend is
/// bootstrapped, so a node without one pays nothing but a nil check.
@usableFromInline struct RaftInstruments: Sendable {
    @usableFromInline let commitLatency: CoreMetrics.Timer
    @usableFromInline let appendBatchSize: Recorder
    @usableFromInline let applyBatchSize: Recorder
    @usableFromInline let applyLatency: CoreMetrics.Timer
    @usableFromInline let logFlushLatency: CoreMetrics.Timer
    @usableFromInline let elections: Counter
    @usableFromInline let leaderChanges: Counter
    @usableFromInline let rejectedMessages: Counter
    @usableFromInline let snapshotsSent: Counter
    @usableFromInline let nodeID: NodeID
    @usableFromInline let loopBatchSize: Recorder

    @inlinable init(commitLatency: CoreMetrics.Timer, appendBatchSize: Recorder, applyBatchSize: Recorder, applyLatency: CoreMetrics.Timer, logFlushLatency: CoreMetrics.Timer, elections: Counter, leaderChanges: Counter, rejectedMessages: Counter, snapshotsSent: Counter, nodeID: NodeID, loopBatchSize: Recorder) {
        self.commitLatency = commitLatency
        self.appendBatchSize = appendBatchSize
        self.applyBatchSize = applyBatchSize
        self.applyLatency = applyLatency
        self.logFlushLatency = logFlushLatency
        self.elections = elections
        self.leaderChanges = leaderChanges
        self.rejectedMessages = rejectedMessages
        self.snapshotsSent = snapshotsSent
        self.nodeID = nodeID
        self.loopBatchSize = loopBatchSize
    }

    /// Instruments labelled with the node id, or nil when no backend is bootstrapped.
    @inlinable static func make(nodeID: NodeID) -> RaftInstruments? {
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
    @inlinable func replicationLag(_ peer: NodeID) -> Recorder {
        Recorder(label: "raft_replication_lag_entries", dimensions: [("node", String(nodeID)), ("peer", String(peer))])
    }
}
