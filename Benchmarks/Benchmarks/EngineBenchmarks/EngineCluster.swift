import RaftCore

/// An 8-byte command, as in `raft-bench`.
enum BenchTypes: RaftTypeConfig {
    typealias Command = UInt64
    typealias Response = Void
    typealias NodeAddress = UInt64
}

/// Three engines wired together synchronously: log I/O is durable at once, messages are
/// delivered in order, applies complete at once. Used to bring engines into the state a
/// benchmark measures, and to execute whatever a measured step produced afterwards.
struct EngineCluster {
    /// Node `id` is `nodes[id - 1]`. An array, not a dictionary: a mutating call on an array
    /// element works in place, so the harness does not copy engines between steps.
    var nodes: [RaftEngine<BenchTypes>] = []
    var inFlight: [(from: NodeID, to: NodeID, message: RaftMessage<BenchTypes>)] = []

    /// Elects node 1 leader of a 3-voter cluster and commits its first entries everywhere.
    static func elected() -> EngineCluster {
        var config = EngineConfig()
        // The benchmarks drive the engines without acknowledging every step: never stall a
        // pipeline or evict the cache while doing so.
        config.maxInflightMessages = 1 << 30
        config.maxInflightBytes = 1 << 40
        config.maxCachedEntries = 1 << 24
        config.maxCachedBytes = 1 << 40
        config.snapshotPolicy = .never
        var cluster = EngineCluster()
        for id: NodeID in 1...3 {
            cluster.nodes.append(RaftEngine(id: id, config: config, recovered: .pristine, now: RaftInstant(nanoseconds: 1_000_000), randomSeed: id))
        }
        try! cluster.nodes[0].initialize(Membership(voters: [1: 1, 2: 2, 3: 3]))
        cluster.settle()
        precondition(cluster.nodes[0].isLeader, "node 1 leads")
        return cluster
    }

    /// Node `id`'s engine.
    subscript(id: NodeID) -> RaftEngine<BenchTypes> {
        get { nodes[Int(id) - 1] }
        _modify { yield &nodes[Int(id) - 1] }
    }

    /// Executes `commands`, taken from node `id`.
    mutating func execute(_ commands: [EngineCommand<BenchTypes>], of id: NodeID) {
        var lastIO: IOID?
        for command in commands {
            switch command {
            case .saveVote(_, let io), .appendEntries(_, let io), .truncateLog(_, let io), .purgeLog(_, let io):
                lastIO = io
            case let .send(to, message):
                inFlight.append((id, to, message))
            case .apply(let entries):
                if let last = entries.last { nodes[Int(id) - 1].applied(upTo: last.logID) }
            case .saveCommitted, .sendSnapshot, .readEntries, .buildSnapshot, .installSnapshot, .reply, .event:
                break
            }
        }
        if let lastIO { nodes[Int(id) - 1].logIOFlushed(upTo: lastIO) }
    }

    /// Runs every node's pending work and delivers every message until nothing moves.
    mutating func settle() {
        while true {
            var moved = false
            for position in nodes.indices {
                let id = NodeID(position + 1)
                let commands = nodes[position].takeCommands()
                if !commands.isEmpty {
                    moved = true
                    execute(commands, of: id)
                }
            }
            if !inFlight.isEmpty {
                moved = true
                let messages = inFlight
                inFlight = []
                for (from, to, message) in messages { nodes[Int(to) - 1].receive(message, from: from) }
            }
            if !moved { return }
        }
    }
}
