import Raft
import RaftNIO
import RaftTesting

/// A fault proxy on every directed link of a cluster: node A reaches node B's server only
/// through `links[[A, B]]`, so each link (and each direction of it) can fail on its own.
final class ProxiedLinks: Sendable {
    let links: [[NodeID]: FaultProxy]

    /// Proxies between every pair of `ids`, routed through `cluster`'s transports. Call after
    /// the nodes' servers listen and before the nodes start.
    static func install(on cluster: NIOCluster, ids: [NodeID]) async throws -> ProxiedLinks {
        var links: [[NodeID]: FaultProxy] = [:]
        for from in ids {
            for to in ids where to != from {
                let proxy = try FaultProxy(forwardingTo: "127.0.0.1", port: await cluster.members[to]!.port)
                links[[from, to]] = proxy
                cluster.routes.route(from: from, to: to, via: PeerAddress(host: "127.0.0.1", port: proxy.port))
            }
        }
        return ProxiedLinks(links: links)
    }

    init(links: [[NodeID]: FaultProxy]) {
        self.links = links
    }

    func link(_ from: NodeID, _ to: NodeID) -> FaultProxy { links[[from, to]]! }

    /// Cuts `id` off from every other node, both ways, with `fault`.
    func isolate(_ id: NodeID, with fault: ProxyFault = .discard) {
        for (pair, proxy) in links where pair.contains(id) { proxy.set(fault) }
    }

    func healAll() { for proxy in links.values { proxy.heal() } }

    func stop() { for proxy in links.values { proxy.stop() } }
}

extension NIOCluster {
    /// Starts `ids` with a proxy on every link, initializes the first, and waits for a leader.
    static func proxied(_ ids: [NodeID], config: RaftConfig = NIOCluster.fastConfig()) async throws -> (NIOCluster, ProxiedLinks) {
        let cluster = NIOCluster(config: config)
        for id in ids { try await cluster.add(id) }
        let links = try await ProxiedLinks.install(on: cluster, ids: ids)
        for id in ids { try await cluster.start(id) }
        try await cluster.node(ids[0]).initialize(Membership(voters: await cluster.addresses(ids)))
        _ = try await cluster.leader()
        return (cluster, links)
    }
}
