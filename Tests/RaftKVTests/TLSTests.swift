import Foundation
import NIOHTTP1
import NIOSSL
import Raft
import RaftCore
@testable import RaftKV
import Testing

extension RaftKVTests {
    /// `serve --tls-cert --tls-key --tls-ca`: mutual TLS between members and HTTPS for clients
    /// and for forwarding.
    @Suite("TLS")
    struct TLS {
        @Test func theTLSOptionsSecureRaftAndHTTPIncludingForwarding() async throws {
            let certificates = try TestCertificates(nodes: [1, 2, 3])
            var client = TLSConfiguration.makeClientConfiguration()
            client.trustRoots = .file(certificates.path("ca.pem"))
            let cluster = KVTestCluster(clientTLS: client)
            cluster.configure = { configuration in
                let id = configuration.id
                // Parsed as `raft-kv serve` parses its command line.
                let options = try! ServeCommand.parse([
                    "--id", "\(id)", "--data-dir", configuration.dataDirectory, "--raft-listen", configuration.raftListen,
                    "--http-listen", configuration.httpListen, "--tls-cert", certificates.path("node-\(id).pem"),
                    "--tls-key", certificates.path("node-\(id).key"), "--tls-ca", certificates.path("ca.pem"),
                ]).makeConfiguration()
                configuration.raftTLS = options.raftTLS
                configuration.httpTLS = options.httpTLS
                configuration.forwardingTLS = options.forwardingTLS
            }
            do {
                _ = try await cluster.formed(nodes: 3)
                let leader = try await cluster.waitForLeader()
                let follower = cluster.followers(of: leader)[0]
                let put = try await cluster.send(.PUT, to: follower, "/v1/kv/secret", body: "s")
                #expect(put.status == 200 && put.headers["Raft-Served-By"] == ["\(leader)"], "forwarded over HTTPS: \(put)")
                let read = try await cluster.send(.GET, to: follower, "/v1/kv/secret")
                #expect(read.json["value"] as? String == "s", "\(read)")
                // Plain HTTP is not answered on an HTTPS port.
                let plain = KVTestCluster()
                let refused = try? await plain.send(.GET, url: "http://\(cluster.addresses[leader]!.http)/health", timeout: .seconds(2))
                #expect(refused?.status != 200)
                try? await plain.http.shutdown()
            } catch {
                await cluster.shutdown()
                throw error
            }
            await cluster.shutdown()
        }
    }
}
