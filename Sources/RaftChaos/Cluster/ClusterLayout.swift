import Foundation
import RaftTesting

/// Where each node of a chaos cluster listens, where its data and log live, and the proxies
/// its Raft traffic passes through.
///
/// Every ordered pair of nodes has its own proxy: node `a` dials node `b` at
/// `proxy(from: a, to: b)`, which forwards to `b`'s Raft port. A proxy's two directions
/// carry `a`'s requests to `b` and `b`'s answers to `a`, so cutting what `b` hears from `a`
/// means discarding `a`'s requests on `a`→`b` and `a`'s answers on `b`→`a`; one-way
/// partitions are then just a choice of pairs.
final class ClusterLayout: Sendable {
    struct Node: Sendable {
        let id: Int
        let raftPort: Int
        let httpPort: Int
        let dataDirectory: URL
        let logFile: URL
        /// libfaketime's offset file for this node.
        let clockFile: URL
    }

    let nodes: [Node]
    /// `proxies[from][to]` (1-based ids; the diagonal is unused).
    private let proxies: [[FaultProxy?]]

    init(nodeCount: Int, directory: URL) throws {
        var nodes: [Node] = []
        var reservations: [Int32] = []
        // Held until the proxies have their ephemeral ports, so none of them lands on a port
        // a node is about to listen on.
        defer { reservations.forEach(FreePort.release) }
        func port() throws -> Int {
            let (port, socket) = try FreePort.reserve()
            reservations.append(socket)
            return port
        }
        for id in 1...nodeCount {
            let data = directory.appendingPathComponent("n\(id)-data")
            nodes.append(Node(
                id: id, raftPort: try port(), httpPort: try port(),
                dataDirectory: data,
                logFile: directory.appendingPathComponent("n\(id).log"),
                clockFile: directory.appendingPathComponent("n\(id).faketime")))
        }
        var proxies: [[FaultProxy?]] = Array(repeating: Array(repeating: nil, count: nodeCount + 1), count: nodeCount + 1)
        for from in 1...nodeCount {
            for to in 1...nodeCount where from != to {
                proxies[from][to] = try FaultProxy(forwardingTo: "127.0.0.1", port: nodes[to - 1].raftPort)
            }
        }
        self.nodes = nodes
        self.proxies = proxies
    }

    var ids: ClosedRange<Int> { 1...nodes.count }

    func node(_ id: Int) -> Node { nodes[id - 1] }

    func proxy(from: Int, to: Int) -> FaultProxy {
        precondition(from != to, "a node does not dial itself")
        return proxies[from][to]!
    }

    /// The node's HTTP base URL.
    func httpURL(_ id: Int) -> String { "http://127.0.0.1:\(node(id).httpPort)" }

    /// Stops `to` from hearing `from` (requests and answers alike); `from` still hears `to`.
    func cut(from: Int, to: Int) {
        proxy(from: from, to: to).set(.discard, for: .toServer)
        proxy(from: to, to: from).set(.discard, for: .toClient)
    }

    /// Cuts every link of `id`, both ways.
    func isolate(_ id: Int) {
        for other in ids where other != id {
            cut(from: id, to: other)
            cut(from: other, to: id)
        }
    }

    /// Delays every byte `id` sends or receives over Raft.
    func delay(_ id: Int, by delay: Duration) {
        for other in ids where other != id {
            proxy(from: id, to: other).set(.delay(delay))
            proxy(from: other, to: id).set(.delay(delay))
        }
    }

    /// Lets everything pass again. Connections that lost bytes are closed, since their
    /// streams now resume mid-frame; the nodes redial.
    func healNetwork() {
        for from in ids {
            for to in ids where from != to {
                let proxy = self.proxy(from: from, to: to)
                let lostBytes = ProxyDirection.allCases.contains { proxy.fault(for: $0) == .discard }
                proxy.heal()
                if lostBytes { proxy.dropConnections() }
            }
        }
    }

    func stopProxies() {
        for from in ids { for to in ids where from != to { proxy(from: from, to: to).stop() } }
    }
}
