import Foundation
import NIOCore
import Raft
import RaftCore
@testable import RaftNIO
import Testing

/// The libFuzzer target's seed corpus (`Fuzz/FrameDecoderFuzz/seeds`): one valid frame of each
/// kind, with and without a checksum. This test checks that every committed seed still decodes
/// (so a wire change that breaks them is noticed); `RAFT_NIO_WRITE_FUZZ_SEEDS=1 swift test
/// --filter FuzzSeed` writes them anew.
@Suite("RaftNIO: fuzz seeds")
struct FuzzSeedTests {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/FrameDecoderFuzz/seeds")
    }

    static func seeds() throws -> [String: [UInt8]] {
        var seeds: [String: [UInt8]] = [:]
        for checksum in [true, false] {
            let suffix = checksum ? "crc" : "plain"
            for (index, frame) in try BadInputTests.validRequests(checksum: checksum).enumerated() { seeds["request-\(index)-\(suffix)"] = frame }
            let vote = Vote(term: 3, votedFor: 1, committed: true)
            let responses: [ByteBuffer] = [
                Frames.appendResponse(AppendEntriesResponse(vote: vote, rpcID: 1, outcome: .conflict(hintIndex: 4, hintLeaderID: LeaderID(term: 2, nodeID: 1))), group: 0, correlation: 1, checksum: checksum),
                Frames.voteResponse(VoteResponse(vote: vote, granted: true, isPreVote: false, requestTerm: 3, lastLogID: nil, rpcID: 2), group: 0, correlation: 2, checksum: checksum),
                Frames.snapshotChunkResponse(.installed(InstallSnapshotResponse(vote: vote, rpcID: 3, outcome: .installed(matched: LogID(term: 3, nodeID: 1, index: 9)))), group: 0, correlation: 3, checksum: checksum),
                Frames.readIndexResponse(LogID(term: 3, nodeID: 1, index: 9), group: 0, correlation: 4, checksum: checksum),
                Frames.failure(.refused(Refusal(reason: .removed, detail: "gone")), group: 0, correlation: 5, checksum: checksum),
                Frames.hello(Hello(versions: 1...1, clusterID: "test", sender: 2, target: 1, lane: .main), checksum: checksum),
                Frames.helloAccepted(HelloAccepted(version: 1, server: 1), checksum: checksum),
                Frames.refusal(Refusal(reason: .wrongCluster, detail: "no"), checksum: checksum),
            ]
            for (index, frame) in responses.enumerated() { seeds["other-\(index)-\(suffix)"] = Array(frame.readableBytesView) }
        }
        return seeds
    }

    @Test func theCommittedSeedsAreTheCurrentFramesAndDecode() throws {
        let seeds = try Self.seeds()
        if ProcessInfo.processInfo.environment["RAFT_NIO_WRITE_FUZZ_SEEDS"] == "1" {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            for (name, bytes) in seeds { try Data(bytes).write(to: Self.directory.appendingPathComponent(name)) }
        }
        for (name, bytes) in seeds {
            let committed = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent(name)))
            #expect(committed == bytes, "seed \(name) is stale: rewrite with RAFT_NIO_WRITE_FUZZ_SEEDS=1")
            var buffer = ByteBuffer(bytes: committed)
            let frame = try #require(try FrameDecoder.parse(&buffer, maxFrameSize: 1 << 20))
            if frame.kind.isRequest { _ = try Frames.decodeRequest(frame, as: KVTypes.self) }
            if frame.kind.isResponse { _ = try Frames.decodeResponse(frame) }
        }
    }
}
