import Foundation
import Raft
import RaftCore
import RaftNIO
import Testing

/// Mutual TLS: a cluster over it, and every way a peer is turned away.
@Suite("RaftNIO: mutual TLS", .ownThread)
struct TLSTests {
    /// Made once for the suite (a dozen `openssl` runs).
    static let made = Result { try TestCertificates(nodes: [1, 2, 3]) }
    let certificates: TestCertificates

    init() throws {
        certificates = try Self.made.get()
    }

    @Test func aClusterRunsOverMutualTLS() async throws {
        let cluster = NIOCluster()
        for id: NodeID in [1, 2, 3] {
            try await cluster.add(id, nio: RaftNIOConfiguration(clusterID: "test", tls: try certificates.tls(for: id)))
        }
        for id: NodeID in [1, 2, 3] { try await cluster.start(id) }
        try await cluster.node(1).initialize(Membership(voters: await cluster.addresses([1, 2, 3])))
        for index in 0..<5 { try await cluster.write(.put(key: "k\(index)", value: "tls")) }
        try await cluster.waitForValue("tls", at: "k4", on: [1, 2, 3])
        await cluster.shutdown()
    }

    /// Node 1 serving over TLS, and a vote from node 2 with `configuration`.
    func voteAgainstTLSServer(_ configuration: RaftNIOConfiguration, sender: NodeID = 2) async throws -> (RPCError?, RaftNIOServerStatistics) {
        let cluster = NIOCluster()
        try await cluster.add(1, nio: RaftNIOConfiguration(clusterID: "test", tls: try certificates.tls(for: 1)))
        try await cluster.start(1)
        let transport = try RaftNIOTransport<KVTypes>(nodeID: sender, configuration: configuration, logger: NIOCluster.logger)
        let client = transport.network().makeClient(for: 1, address: await cluster.address(1))
        var failure: RPCError?
        do {
            _ = try await client.vote(VoteRequest(vote: Vote(term: 1, votedFor: sender), lastLogID: nil, isPreVote: true, rpcID: 1), timeout: .seconds(3))
        } catch {
            failure = error
        }
        // The server records the closure when it sees the connection end.
        let deadline = ContinuousClock.now + .seconds(3)
        while await cluster.server(1).statistics.openConnections > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let statistics = await cluster.server(1).statistics
        await transport.shutdown()
        await cluster.shutdown()
        return (failure, statistics)
    }

    @Test func plaintextToATLSServerIsRefusedAsTLSRequired() async throws {
        let (failure, statistics) = try await voteAgainstTLSServer(RaftNIOConfiguration(clusterID: "test"))
        guard case .refused(.tlsRequired, _)? = failure else { Issue.record("got \(String(describing: failure))"); return }
        #expect(statistics.closures[.refused] == 1)
    }

    @Test func aCertificateFromAnotherCAIsRefused() async throws {
        let (failure, statistics) = try await voteAgainstTLSServer(
            RaftNIOConfiguration(clusterID: "test", tls: try certificates.tls(for: 1, certificate: "untrusted-node-1", trusting: "ca")), sender: 1)
        guard case .refused(.tlsHandshakeFailed, let detail)? = failure else { Issue.record("got \(String(describing: failure))"); return }
        #expect(!detail.isEmpty)
        #expect(statistics.closures[.tlsFailure] == 1)
    }

    @Test func aServerFromAnotherCAIsRefusedByTheClient() async throws {
        let (failure, _) = try await voteAgainstTLSServer(
            RaftNIOConfiguration(clusterID: "test", tls: try certificates.tls(for: 2, trusting: "other-ca")))
        guard case .refused(.tlsHandshakeFailed, let detail)? = failure else { Issue.record("got \(String(describing: failure))"); return }
        #expect(detail.uppercased().contains("CERTIFICATE"))
    }

    @Test func anExpiredCertificateIsRefused() async throws {
        let (failure, statistics) = try await voteAgainstTLSServer(
            RaftNIOConfiguration(clusterID: "test", tls: try certificates.tls(for: 1, certificate: "expired-node-1")), sender: 1)
        guard case .refused(.tlsHandshakeFailed, let detail)? = failure else { Issue.record("got \(String(describing: failure))"); return }
        #expect(detail.contains("EXPIRED"), "the error says why: \(detail)")
        #expect(statistics.closures[.tlsFailure] == 1)
    }

    @Test func aCertificateNamingAnotherNodeIsRefused() async throws {
        // Node 3's valid certificate, presented by a peer claiming to be node 2.
        let (failure, statistics) = try await voteAgainstTLSServer(
            RaftNIOConfiguration(clusterID: "test", tls: try certificates.tls(for: 2, certificate: "node-3")))
        guard case .refused(.identityMismatch, let detail)? = failure else { Issue.record("got \(String(describing: failure))"); return }
        #expect(detail.contains("node 3"))
        #expect(statistics.closures[.refused] == 1)
    }

    @Test func theDefaultIdentityReadsTheCommonName() throws {
        let certificate = try #require(try certificates.tls(for: 3).certificateChain.first)
        #expect(RaftNIOTLS.nodeIDFromCommonName(certificate) == 3)
    }
}
