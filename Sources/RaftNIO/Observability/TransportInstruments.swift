import CoreMetrics
import RaftCore

/// swift-metrics instruments of one node's transport (its server and its clients). Created
/// only when a metrics backend is bootstrapped, so a transport without one pays a nil check.
@usableFromInline struct TransportInstruments: Sendable {
    let nodeID: NodeID
    let bytesIn: Counter
    let bytesOut: Counter
    let framesIn: Counter
    let framesOut: Counter
    let reconnects: Counter
    let connectFailures: Counter

    /// Instruments labelled with the node id (and `side`: server or client), or nil when no
    /// backend is bootstrapped.
    static func make(nodeID: NodeID, side: String) -> TransportInstruments? {
        if MetricsSystem.factory is NOOPMetricsHandler { return nil }
        let dimensions = [("node", String(nodeID)), ("side", side)]
        return TransportInstruments(
            nodeID: nodeID,
            bytesIn: Counter(label: "raft_nio_bytes_in_total", dimensions: dimensions),
            bytesOut: Counter(label: "raft_nio_bytes_out_total", dimensions: dimensions),
            framesIn: Counter(label: "raft_nio_frames_in_total", dimensions: dimensions),
            framesOut: Counter(label: "raft_nio_frames_out_total", dimensions: dimensions),
            reconnects: Counter(label: "raft_nio_reconnects_total", dimensions: dimensions),
            connectFailures: Counter(label: "raft_nio_connect_failures_total", dimensions: dimensions))
    }

    /// The queue-depth gauge of one peer connection (messages not yet taken by the socket).
    func queueDepth(peer: NodeID, lane: String) -> Recorder {
        Recorder(label: "raft_nio_queue_depth", dimensions: [("node", String(nodeID)), ("peer", String(peer)), ("lane", lane)], aggregate: false)
    }

    /// Counts one refusal (sent or received) by reason.
    func refusal(_ reason: String, direction: String) {
        Counter(label: "raft_nio_refusals_total", dimensions: [("node", String(nodeID)), ("reason", reason), ("direction", direction)]).increment()
    }

    /// Counts one ended connection by reason.
    func closed(_ category: ConnectionCloseReason.Category, side: String) {
        Counter(label: "raft_nio_connections_closed_total", dimensions: [("node", String(nodeID)), ("reason", category.rawValue), ("side", side)]).increment()
    }
}
