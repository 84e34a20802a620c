import NIOSSL
import Raft
import RaftCore
import RaftNIO

/// Everything one `raft-kv` member needs to run.
public struct RaftKVConfiguration: Sendable {
    /// This member's node id (unique in the cluster, never reused).
    public var id: NodeID
    /// Where the log and the snapshots live (`log/`, `snapshots/` inside).
    public var dataDirectory: String
    /// Where the Raft server listens (`host:port`; port 0: an ephemeral one).
    public var raftListen: String
    /// Where the HTTP server listens (`host:port`; port 0: an ephemeral one).
    public var httpListen: String
    /// The addresses other members and clients use for this member; nil: the listen
    /// addresses (with the bound port when it was 0).
    public var advertised: MemberAddress?
    /// Every member known at start, this one included or not: the membership `--init` (or a
    /// bodiless `POST /v1/cluster/init`) forms, and where peers are dialled before the
    /// membership names them.
    public var peers: [NodeID: MemberAddress]
    /// Where to dial members instead of their advertised Raft address (`--dial`): for a
    /// member behind a proxy or NAT that this node reaches by another way. The membership
    /// keeps the advertised address; only this node's dialling changes.
    public var dial: [NodeID: String] = [:]
    /// This node's storage was wiped or found corrupt: it starts with its voting suspended
    /// until an operator resumes it (`POST /v1/cluster/resume-voting`), as the guide's
    /// disaster-recovery procedure says.
    public var storageLost = false
    /// Testing only: answer linearizable and lease reads from this node's own applied state,
    /// asking no one. This breaks linearizability on purpose, so that a chaos test can show
    /// its checker catches stale reads; never set it for a real cluster.
    public var unsafeLocalReads = false
    /// Form the cluster from `peers` (plus this member) at start when this node is pristine;
    /// a node that already has state ignores it.
    public var initialize: Bool
    /// Nodes of another cluster id are refused at the Raft handshake.
    public var clusterID: String
    /// Mutual TLS between members (nil: plain TCP).
    public var raftTLS: RaftNIOTLS?
    /// HTTPS for clients (nil: plain HTTP).
    public var httpTLS: TLSConfiguration?
    /// TLS for the HTTP connections this member opens to the leader when it forwards (nil:
    /// plain HTTP; set it when the members serve HTTPS).
    public var forwardingTLS: TLSConfiguration?
    /// When set, `/v1/cluster/*` requests need `Authorization: Bearer <token>`.
    public var adminToken: String?
    /// How long a follower waits for the leader's answer to a forwarded request.
    public var forwardTimeout: Duration
    /// How long a write or a linearizable read may take on the leader.
    public var requestTimeout: Duration
    /// The largest key, in UTF-8 bytes.
    public var maxKeyBytes: Int
    /// The largest value, in bytes.
    public var maxValueBytes: Int
    /// The Raft node's settings.
    public var raft: RaftConfig
    /// Run the node's loop, its Raft server and its transport on one event loop (NIO's
    /// shared group), so a Raft message and the loop that handles it share a thread.
    public var raftOnOneEventLoop = false
    /// The transport's settings besides cluster id and TLS.
    public var transport: @Sendable (inout RaftNIOConfiguration) -> Void = { _ in }

    /// A member with the defaults: plain TCP and HTTP, no admin token, 5 s forwarding and
    /// request timeouts, keys up to 4 KiB and values up to 1 MiB.
    public init(
        id: NodeID, dataDirectory: String, raftListen: String, httpListen: String,
        peers: [NodeID: MemberAddress] = [:], initialize: Bool = false, clusterID: String = "raft-kv"
    ) {
        self.id = id
        self.dataDirectory = dataDirectory
        self.raftListen = raftListen
        self.httpListen = httpListen
        self.peers = peers
        self.initialize = initialize
        self.clusterID = clusterID
        self.forwardTimeout = .seconds(5)
        self.requestTimeout = .seconds(5)
        self.maxKeyBytes = 4096
        self.maxValueBytes = 1 << 20
        self.raft = RaftKVConfiguration.defaultRaftConfig
    }

    /// The Raft settings `raft-kv` runs with unless told otherwise: etcd's timing (100 ms
    /// heartbeats, elections after 1-2 s of silence) rather than the engine's 50 ms / 150-300 ms,
    /// since members share machines with other work: on a loaded 2-core machine the shorter
    /// timeouts made followers campaign while the leader was only waiting for a core.
    public static var defaultRaftConfig: RaftConfig {
        var config = RaftConfig()
        config.clusterName = "raft-kv"
        config.engine.heartbeatInterval = .milliseconds(100)
        config.engine.electionTimeoutMin = .milliseconds(1000)
        config.engine.electionTimeoutMax = .milliseconds(2000)
        config.engine.leaseDuration = .milliseconds(500)
        config.rpcTimeout = .seconds(2)
        config.engine.snapshotPolicy = .everyAppliedEntries(20_000)
        config.engine.logsKeptAfterSnapshot = 5000
        return config
    }
}
