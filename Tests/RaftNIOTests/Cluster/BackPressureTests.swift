import Foundation
import Raft
import RaftCore
import RaftNIO
import Synchronization
import Testing

/// Bounded per-peer queues: a hung peer makes sends fail at once, never block the caller.
@Suite("RaftNIO: back-pressure")
struct BackPressureTests {
    /// An append carrying `size` bytes of commands after entry `index`.
    func append(after index: LogIndex, bytes size: Int) -> AppendEntriesRequest<KVTypes> {
        let entries = (1...4).map { offset in
            Entry<KVTypes>(logID: LogID(term: 1, nodeID: 1, index: index + LogIndex(offset)), payload: .command(.put(key: "k", value: String(repeating: "x", count: size / 4))))
        }
        return AppendEntriesRequest(vote: Vote(term: 1, votedFor: 1, committed: true), prevLogID: index == 0 ? nil : LogID(term: 1, nodeID: 1, index: index), entries: entries, leaderCommit: nil, rpcID: index)
    }

    @Test func aFullQueueFailsSendsAtOnceAsUnreachableAndQueuedOnesTimeOut() async throws {
        let peer = try StallingPeer(nodeID: 2)
        var configuration = RaftNIOConfiguration(clusterID: "test")
        configuration.maxQueuedMessages = 16
        configuration.maxQueuedBytes = 4 << 20
        let transport = try RaftNIOTransport<KVTypes>(nodeID: 1, configuration: configuration, logger: NIOCluster.logger)
        let client = transport.network().makeClient(for: 2, address: "127.0.0.1:\(peer.port)")

        let outcomes = Mutex<[Int: Result<AppendEntriesResponse, RPCError>]>([:])
        var failedInline: [Int] = []
        // 64 KB per append: the kernel's and NIO's buffers take some, then the queue fills.
        for index in 0..<400 {
            // (sending, answered while sending)
            let inline = Mutex((true, false))
            client.sendAppendEntries(append(after: LogIndex(index * 4), bytes: 64 << 10), timeout: .seconds(1)) { result in
                inline.withLock { if $0.0 { $0.1 = true } }
                outcomes.withLock { $0[index] = result }
            }
            if inline.withLock({ state in
                state.0 = false
                return state.1
            }) { failedInline.append(index) }
            // Let the connection come up before flooding it.
            if index == 0 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(!failedInline.isEmpty, "some sends found the queue full")
        let firstInline = try #require(failedInline.first)
        let inlineFailure = outcomes.withLock { $0[firstInline] }
        guard case .failure(.unreachable(let reason))? = inlineFailure else {
            Issue.record("expected unreachable, got \(String(describing: inlineFailure))")
            return
        }
        #expect(reason.contains("full"))

        // Everything that was queued or written is answered within its timeout: the peer never
        // answers, so with a timeout.
        let deadline = ContinuousClock.now + .seconds(5)
        while outcomes.withLock({ $0.count }) < 400, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let all = outcomes.withLock { $0 }
        #expect(all.count == 400)
        #expect(all.values.allSatisfy { if case .failure = $0 { return true } else { return false } })
        #expect(all.values.contains { if case .failure(.timeout) = $0 { return true } else { return false } })
        peer.stop()
        await transport.shutdown()
    }

    @Test func theDefaultQueueBoundSitsAboveTheEnginesInflightLimit() {
        let configuration = RaftNIOConfiguration(clusterID: "test")
        let raft = RaftConfig()
        #expect(configuration.validate(for: raft) == nil)
        #expect(raft.engine.maxInflightMessages < configuration.maxQueuedMessages)
        #expect(raft.engine.maxInflightBytes <= configuration.maxQueuedBytes)
        var tight = configuration
        tight.maxQueuedMessages = raft.engine.maxInflightMessages
        #expect(tight.validate(for: raft)?.field == "maxQueuedMessages")
        var small = configuration
        small.maxFrameSize = 64 << 10
        #expect(small.validate(for: raft)?.field == "maxFrameSize")
    }

    @Test func anUnreachablePeerFailsCallsAtOnceWhileBackingOff() async throws {
        var configuration = RaftNIOConfiguration(clusterID: "test")
        // Long enough that the second call falls within the back-off even on a starved machine.
        configuration.minReconnectDelay = .seconds(120)
        configuration.maxReconnectDelay = .seconds(120)
        let transport = try RaftNIOTransport<KVTypes>(nodeID: 1, configuration: configuration, logger: NIOCluster.logger)
        // Nothing listens on this port (bound and closed again).
        let port = try closedPort()
        let client = transport.network().makeClient(for: 2, address: "127.0.0.1:\(port)")
        let vote = VoteRequest(vote: Vote(term: 1, votedFor: 1), lastLogID: nil, isPreVote: true, rpcID: 1)
        do {
            _ = try await client.vote(vote, timeout: .seconds(2))
            Issue.record("a vote to nobody succeeded")
        } catch {
            guard case .unreachable = error else { Issue.record("\(error)"); return }
        }
        // The next call, within the back-off, fails without dialling.
        let answered = Mutex(false)
        client.sendVote(vote, timeout: .seconds(2)) { result in
            if case .failure(.unreachable) = result { answered.withLock { $0 = true } }
        }
        #expect(answered.withLock { $0 }, "failed inline")
        await transport.shutdown()
    }
}

/// A port that nothing listens on.
func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var bound = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: bound.sin_port))
}
