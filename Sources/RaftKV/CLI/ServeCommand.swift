import ArgumentParser
import Foundation
import Logging
import Metrics
import NIOCore
import NIOSSL
import Prometheus
import Raft
import RaftCore
import RaftNIO
import ServiceLifecycle

/// `raft-kv serve`: one member, until SIGTERM or SIGINT (then a graceful shutdown).
///
/// The options describe a ``RaftKVConfiguration`` (`raft-kv serve --help` lists them): the
/// node id, the data directory, the Raft and HTTP listen addresses, the peers (`--peer
/// ID=RAFT_HOST:PORT,HTTP_HOST:PORT`, repeated), `--init` to form the cluster on a first
/// start, TLS (`--tls-cert`, `--tls-key`, `--tls-ca`), the admin token, timeouts, and the Raft
/// timing (`--election-timeout-ms`, `--snapshot-every`, `--logs-kept`). The process runs a
/// ``RaftKVServer`` as a swift-service-lifecycle service, logs to standard error, and serves
/// Raft's own swift-metrics instruments on `/metrics` beside the server's.
public struct ServeCommand: AsyncParsableCommand {
    /// The subcommand's name and help text.
    public static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run one member of a raft-kv cluster.")

    @Option(help: "This member's node id.") var id: UInt64
    @Option(name: .customLong("data-dir"), help: "Where the log and snapshots live.") var dataDirectory: String
    @Option(name: .customLong("raft-listen"), help: "host:port of the Raft server.") var raftListen: String
    @Option(name: .customLong("http-listen"), help: "host:port of the HTTP server.") var httpListen: String
    @Option(name: .customLong("peer"), help: "A member: ID=RAFT_HOST:PORT,HTTP_HOST:PORT (repeat for each; this one may be listed).")
    var peers: [String] = []
    @Flag(help: "Form the cluster of the peers (and this member) if this node has no data yet.") var `init` = false
    @Option(name: .customLong("cluster-id"), help: "Members of other cluster ids are refused.") var clusterID = "raft-kv"
    @Option(name: .customLong("advertise-raft"), help: "The Raft address peers should dial (default: --raft-listen).") var advertiseRaft: String?
    @Option(name: .customLong("advertise-http"), help: "The HTTP address clients are sent to (default: --http-listen).") var advertiseHTTP: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate (CN=node-<id>): mutual TLS for Raft and HTTPS for clients.") var tlsCertificate: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(name: .customLong("tls-ca"), help: "PEM CA certificates members (and forwarding) trust.") var tlsCA: String?
    @Option(name: .customLong("admin-token"), help: "Require Authorization: Bearer <token> on /v1/cluster/*.") var adminToken: String?
    @Option(name: .customLong("forward-timeout-ms"), help: "How long a follower waits for the leader's answer.") var forwardTimeoutMilliseconds = 5000
    @Option(name: .customLong("request-timeout-ms"), help: "How long a write or linearizable read may take.") var requestTimeoutMilliseconds = 5000
    @Option(name: .customLong("max-value-bytes"), help: "The largest value accepted.") var maxValueBytes = 1 << 20
    @Option(name: .customLong("max-inflight-appends"), help: "Append requests in flight to each follower (Raft's pipelining window).")
    var maxInflightAppends: Int?
    @Option(name: .customLong("event-loops"), help: "Threads of NIO's shared event loop group (default: one per core).")
    var eventLoops: Int?
    @Flag(name: .customLong("raft-on-one-event-loop"), help: "Run the node's loop, Raft server and transport on one event loop.")
    var raftOnOneEventLoop = false
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "info"
    @Option(name: .customLong("dial"), help: "Dial member ID at HOST:PORT instead of its advertised Raft address: ID=HOST:PORT (repeat for each; for a member behind a proxy or NAT).")
    var dial: [String] = []
    @Flag(name: .customLong("storage-lost"), help: "This node's data was wiped or is corrupt: start with voting suspended until POST /v1/cluster/resume-voting (see disaster recovery).")
    var storageLost = false
    @Option(name: .customLong("election-timeout-ms"), help: "The election timeout range, MIN-MAX milliseconds (heartbeats at a fifth of MIN, the leader's lease four fifths).")
    var electionTimeout: String?
    @Option(name: .customLong("snapshot-every"), help: "Build a snapshot every this many applied entries.")
    var snapshotEvery: UInt64?
    @Option(name: .customLong("logs-kept"), help: "Entries kept in the log behind a snapshot (for lagging followers).")
    var logsKept: UInt64?
    @Flag(name: .customLong("unsafe-local-reads"), help: ArgumentHelp("Testing only: answer linearizable and lease reads from this node's own state (breaks linearizability on purpose).", visibility: .hidden))
    var unsafeLocalReads = false

    /// The command before its arguments are parsed (ArgumentParser's requirement).
    public init() {}

    /// The configuration these options describe.
    func makeConfiguration() throws -> RaftKVConfiguration {
        var members: [NodeID: MemberAddress] = [:]
        for peer in peers {
            guard let member = Self.parsePeer(peer) else {
                throw ValidationError("--peer takes ID=RAFT_HOST:PORT,HTTP_HOST:PORT, not \(peer)")
            }
            members[member.id] = member.address
        }
        var configuration = RaftKVConfiguration(
            id: id, dataDirectory: dataDirectory, raftListen: raftListen, httpListen: httpListen,
            peers: members.filter { $0.key != id }, initialize: `init`, clusterID: clusterID)
        if advertiseRaft != nil || advertiseHTTP != nil {
            configuration.advertised = MemberAddress(raft: advertiseRaft ?? raftListen, http: advertiseHTTP ?? httpListen)
        }
        configuration.adminToken = adminToken
        configuration.forwardTimeout = .milliseconds(forwardTimeoutMilliseconds)
        configuration.requestTimeout = .milliseconds(requestTimeoutMilliseconds)
        configuration.maxValueBytes = maxValueBytes
        configuration.raftOnOneEventLoop = raftOnOneEventLoop
        if let maxInflightAppends {
            guard maxInflightAppends > 0 else { throw ValidationError("--max-inflight-appends must be at least 1") }
            configuration.raft.engine.maxInflightMessages = maxInflightAppends
        }
        for entry in dial {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let member = NodeID(parts[0]), HTTPClientPool.split(String(parts[1])) != nil else {
                throw ValidationError("--dial takes ID=HOST:PORT, not \(entry)")
            }
            configuration.dial[member] = String(parts[1])
        }
        // A wiped member rejoins the cluster it belonged to; forming one of its own would give
        // it a first entry that may differ from the cluster's under the same log id.
        if storageLost && `init` { throw ValidationError("--storage-lost and --init exclude each other: a node whose storage was lost rejoins its cluster") }
        configuration.storageLost = storageLost
        configuration.unsafeLocalReads = unsafeLocalReads
        if let electionTimeout {
            let bounds = electionTimeout.split(separator: "-").compactMap { Int($0) }
            guard bounds.count == 2, bounds[0] >= 10, bounds[1] > bounds[0] else {
                throw ValidationError("--election-timeout-ms takes MIN-MAX milliseconds with MIN >= 10 and MAX > MIN, not \(electionTimeout)")
            }
            configuration.raft.engine.electionTimeoutMin = .milliseconds(bounds[0])
            configuration.raft.engine.electionTimeoutMax = .milliseconds(bounds[1])
            configuration.raft.engine.heartbeatInterval = .milliseconds(max(bounds[0] / 5, 5))
            // The lease stays below the shortest election timeout by the same margin as the defaults.
            configuration.raft.engine.leaseDuration = .milliseconds(bounds[0] * 4 / 5)
        }
        if let snapshotEvery {
            guard snapshotEvery > 0 else { throw ValidationError("--snapshot-every must be positive") }
            configuration.raft.engine.snapshotPolicy = .everyAppliedEntries(snapshotEvery)
        }
        if let logsKept { configuration.raft.engine.logsKeptAfterSnapshot = logsKept }
        if let error = configuration.raft.validate() { throw ValidationError("\(error)") }
        switch (tlsCertificate, tlsKey, tlsCA) {
        case (nil, nil, nil): break
        case let (certificate?, key?, ca?):
            configuration.raftTLS = try RaftNIOTLS(certificateFile: certificate, privateKeyFile: key, trustRootsFile: ca)
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            var server = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            server.minimumTLSVersion = .tlsv12
            configuration.httpTLS = server
            var client = TLSConfiguration.makeClientConfiguration()
            client.trustRoots = .file(ca)
            // Members are named by node id (CN=node-N), not by host name.
            client.certificateVerification = .noHostnameVerification
            configuration.forwardingTLS = client
        default:
            throw ValidationError("--tls-cert, --tls-key and --tls-ca go together")
        }
        return configuration
    }

    /// `ID=RAFT,HTTP`.
    static func parsePeer(_ text: String) -> (id: NodeID, address: MemberAddress)? {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let id = NodeID(parts[0]) else { return nil }
        let addresses = parts[1].split(separator: ",")
        guard addresses.count == 2, HTTPClientPool.split(String(addresses[0])) != nil, HTTPClientPool.split(String(addresses[1])) != nil else { return nil }
        return (id, MemberAddress(raft: String(addresses[0]), http: String(addresses[1])))
    }

    /// Validates the options, bootstraps logging and metrics, and runs the member until
    /// SIGTERM or SIGINT, then shuts it down gracefully (a leader hands leadership over first).
    /// Throws a `ValidationError` for options that do not describe a valid member, and the
    /// server's error when it cannot start or its node stops on a storage failure.
    public func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown --log-level \(logLevel)") }
        let configuration = try makeConfiguration()
        if let eventLoops {
            guard eventLoops > 0 else { throw ValidationError("--event-loops must be at least 1") }
            // Before anything touches the shared group.
            NIOSingletons.groupLoopCountSuggestion = eventLoops
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "raft-kv.\(id)")
        let server = RaftKVServer(configuration: configuration, registry: registry, logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
