import Foundation
import NIOCore
import Raft
import RaftCore
@testable import RaftNIO
import Testing

/// Bytes from a raw socket that no RaftNIO client would send. Each closes only its own
/// connection, with a typed reason the server records; the node keeps serving.
@Suite("RaftNIO: bad input from raw sockets", .ownThread)
struct BadInputTests {
    /// Node 1 (cluster "test"), alone.
    static func server() async throws -> NIOCluster { try await NIOCluster.started([1]) }

    /// Sends `bytes` on a fresh connection (ending it with end-of-stream when `endStream`),
    /// waits for the server to close it, and returns the reason the server recorded and the
    /// first frame it answered with.
    func closure(
        of bytes: [UInt8], endStream: Bool = false, on cluster: NIOCluster
    ) async throws -> (reason: ConnectionCloseReason?, answer: (kind: UInt8, body: [UInt8])?) {
        let server = await cluster.server(1)
        let before = server.statistics.closures.values.reduce(0, +)
        let socket = try RawSocket(port: await cluster.members[1]!.port)
        socket.send(bytes)
        if endStream { socket.closeWrite() }
        let answer = socket.readFrame()
        #expect(socket.waitClosed(), "the server closed the connection")
        let deadline = ContinuousClock.now + .seconds(5)
        while server.statistics.closures.values.reduce(0, +) == before, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        return (server.statistics.recentClosures.last?.reason, answer)
    }

    /// A normal client still gets served.
    func expectServing(_ cluster: NIOCluster) async throws {
        let peer = try RaftNIOTransport<KVTypes>(nodeID: 2, configuration: RaftNIOConfiguration(clusterID: "test"), logger: NIOCluster.logger)
        let client = peer.network().makeClient(for: 1, address: await cluster.address(1))
        do {
            _ = try await client.vote(VoteRequest(vote: Vote(term: 1, votedFor: 2), lastLogID: nil, isPreVote: true, rpcID: 1), timeout: .seconds(5))
        } catch RPCError.refused(.removed, _) {
            // Node 2 is no member of node 1's cluster: a served, typed answer.
        }
        await peer.shutdown()
    }

    var hello: [UInt8] { RawFrames.hello(clusterID: "test", sender: 2, target: 1) }

    @Test func garbageClosesTheConnection() async throws {
        let cluster = try await Self.server()
        let (reason, _) = try await closure(of: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), on: cluster)
        guard case .badFrame? = reason else { Issue.record("\(String(describing: reason))"); return }
        try await expectServing(cluster)
        await cluster.shutdown()
    }

    @Test func aTruncatedHeaderOrBodyClosesAtEndOfStream() async throws {
        let cluster = try await Self.server()
        let (header, _) = try await closure(of: Array(hello.prefix(10)), endStream: true, on: cluster)
        guard case .badFrame(.truncated)? = header else { Issue.record("header: \(String(describing: header))"); return }
        let vote = Frames.voteRequest(VoteRequest(vote: Vote(term: 1, votedFor: 2), lastLogID: nil, isPreVote: true, rpcID: 1), group: 0, correlation: 5, timeout: .seconds(1), checksum: true)
        let (body, _) = try await closure(of: hello + Array(vote.readableBytesView.prefix(vote.readableBytes - 6)), endStream: true, on: cluster)
        guard case .badFrame(.truncated)? = body else { Issue.record("body: \(String(describing: body))"); return }
        try await expectServing(cluster)
        await cluster.shutdown()
    }

    @Test func anOversizedLengthIsRefusedBeforeItsBytesArrive() async throws {
        let cluster = try await Self.server()
        var bytes = hello
        bytes.replaceSubrange(0..<4, with: [0x7F, 0xFF, 0xFF, 0xFF])
        let (reason, answer) = try await closure(of: Array(bytes.prefix(8)), on: cluster)
        guard case .badFrame(.frameTooLarge)? = reason else { Issue.record("\(String(describing: reason))"); return }
        #expect(answer?.kind == 3, "a refusal frame says why")
        try await expectServing(cluster)
        await cluster.shutdown()
    }

    @Test func aWrongMagicVersionOrKindIsATypedError() async throws {
        let cluster = try await Self.server()
        var magic = hello
        magic[4] = 0x00
        guard case .badFrame(.badMagic)? = try await closure(of: magic, on: cluster).reason else { Issue.record("magic"); return }
        var version = hello
        version[6] = 7
        let (versionReason, versionAnswer) = try await closure(of: version, on: cluster)
        guard case .badFrame(.unsupportedVersion(7))? = versionReason else { Issue.record("version"); return }
        #expect(versionAnswer?.kind == 3 && versionAnswer?.body.first == RawFrames.refusalCode(.unsupportedVersion))
        let unknown = RawFrames.frame(kind: 99, body: [])
        guard case .badFrame(.unknownKind(99))? = try await closure(of: hello + unknown, on: cluster).reason else { Issue.record("kind"); return }
        try await expectServing(cluster)
        await cluster.shutdown()
    }

    @Test func aWrongClusterAndAFrameBeforeTheHandshakeAreRefused() async throws {
        let cluster = try await Self.server()
        let (wrong, answer) = try await closure(of: RawFrames.hello(clusterID: "elsewhere", sender: 2, target: 1), on: cluster)
        guard case .refused(.wrongCluster, _)? = wrong else { Issue.record("cluster: \(String(describing: wrong))"); return }
        #expect(answer?.body.first == RawFrames.refusalCode(.wrongCluster))
        let vote = Frames.voteRequest(VoteRequest(vote: Vote(term: 1, votedFor: 2), lastLogID: nil, isPreVote: true, rpcID: 1), group: 0, correlation: 5, timeout: .seconds(1), checksum: true)
        let (early, earlyAnswer) = try await closure(of: Array(vote.readableBytesView), on: cluster)
        guard case .refused(.protocolViolation, _)? = early else { Issue.record("early: \(String(describing: early))"); return }
        #expect(earlyAnswer?.body.first == RawFrames.refusalCode(.protocolViolation))
        // A response frame where the server expects requests.
        let response = Frames.timeoutNowResponse(group: 0, correlation: 1, checksum: true)
        guard case .protocolViolation? = try await closure(of: hello + Array(response.readableBytesView), on: cluster).reason else { Issue.record("response"); return }
        try await expectServing(cluster)
        await cluster.shutdown()
    }

    /// Valid frames of every request kind, to mutate.
    static func validRequests(checksum: Bool) throws -> [[UInt8]] {
        let leader = Vote(term: 2, votedFor: 2, committed: true)
        let entries: [Entry<KVTypes>] = [
            Entry(logID: LogID(term: 2, nodeID: 2, index: 1), payload: .membership(Membership(voters: [1: "a:1", 2: "b:2"]))),
            Entry(logID: LogID(term: 2, nodeID: 2, index: 2), payload: .command(.put(key: "k", value: "v"))),
            Entry(logID: LogID(term: 2, nodeID: 2, index: 3), payload: .blank),
        ]
        let meta = SnapshotMeta<KVTypes>(
            lastLogID: LogID(term: 2, nodeID: 2, index: 3), lastMembership: StoredMembership(logID: LogID(term: 2, nodeID: 2, index: 1), membership: Membership(voters: [1: "a", 2: "b"])),
            snapshotID: "s")
        let frames: [ByteBuffer] = [
            try Frames.appendRequest(AppendEntriesRequest(vote: leader, prevLogID: nil, entries: entries, leaderCommit: nil, rpcID: 1), group: 0, correlation: 1, timeout: .milliseconds(200), checksum: checksum),
            Frames.voteRequest(VoteRequest(vote: Vote(term: 3, votedFor: 2), lastLogID: LogID(term: 2, nodeID: 2, index: 3), isPreVote: true, rpcID: 2), group: 0, correlation: 2, timeout: .milliseconds(200), checksum: checksum),
            try Frames.snapshotChunk(SnapshotChunk(vote: leader, meta: meta, offset: 0, data: [1, 2, 3, 4], isLast: false, rpcID: 3), group: 0, correlation: 3, timeout: .milliseconds(200), checksum: checksum),
            Frames.timeoutNow(TimeoutNowRequest(vote: leader, lastLogID: nil, rpcID: 4), group: 0, correlation: 4, checksum: checksum),
            Frames.readIndex(group: 0, correlation: 5, timeout: .milliseconds(200), checksum: checksum),
        ]
        return frames.map { Array($0.readableBytesView) }
    }

    /// Thousands of seeded random mutations of valid frames (with and without checksums, so
    /// mutated bodies reach the message decoders), each on its own connection after a valid
    /// handshake. Every connection is answered or closed with a typed reason, and the node
    /// serves a normal client afterwards; no connection is left open.
    @Test func seededMutationsOfValidFramesNeverCrashOrLeak() async throws {
        let cluster = try await Self.server()
        let server = await cluster.server(1)
        let port = await cluster.members[1]!.port
        let valid = try Self.validRequests(checksum: true) + Self.validRequests(checksum: false)
        var random = SplitMix64(seed: 20261203)
        let cases = 2000
        for _ in 0..<cases {
            var frame = valid[Int(random.next() % UInt64(valid.count))]
            switch random.next() % 5 {
            case 0, 1:
                // Flip one to four bytes anywhere (the length field and header included).
                for _ in 0...(random.next() % 4) {
                    let at = Int(random.next() % UInt64(frame.count))
                    frame[at] ^= UInt8(truncatingIfNeeded: random.next() | 1)
                }
            case 2:
                // Cut the frame short.
                frame = Array(frame.prefix(Int(random.next() % UInt64(frame.count))))
            case 3:
                // Overwrite a run of bytes with random ones.
                let at = Int(random.next() % UInt64(frame.count))
                for offset in at..<min(frame.count, at + 1 + Int(random.next() % 12)) { frame[offset] = UInt8(truncatingIfNeeded: random.next()) }
            default:
                // Insert random bytes.
                let at = Int(random.next() % UInt64(frame.count + 1))
                frame.insert(contentsOf: (0..<(1 + random.next() % 8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: at)
            }
            let socket = try RawSocket(port: port)
            socket.send(hello + frame)
            socket.closeWrite()
            #expect(socket.waitClosed())
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while server.statistics.closures.values.reduce(0, +) < cases || server.statistics.openConnections > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let statistics = server.statistics
        #expect(statistics.openConnections == 0, "no connection left open")
        #expect(statistics.closures.values.reduce(0, +) == cases)
        let typed: Set<ConnectionCloseReason.Category> = [.peerClosed, .badFrame, .refused, .protocolViolation]
        #expect(statistics.closures.keys.allSatisfy(typed.contains), "\(statistics.closures)")
        #expect((statistics.closures[.badFrame] ?? 0) > cases / 2, "most mutations are caught as bad frames: \(statistics.closures)")
        try await expectServing(cluster)
        await cluster.shutdown()
    }
}
