import Raft
import RaftTesting
import Testing

@Suite("Client sessions: exactly-once requests")
struct ClientSessionsTests {
    @Test func aRetryIsAnsweredWithTheFirstResponse() {
        var sessions = ClientSessions<String>()
        #expect(sessions.lookUp(client: 7, sequence: 1) == .new)
        sessions.record("first", client: 7, sequence: 1, at: 10)
        #expect(sessions.lookUp(client: 7, sequence: 1) == .duplicate("first"))
        #expect(sessions.lookUp(client: 7, sequence: 2) == .new)
        #expect(sessions.lookUp(client: 8, sequence: 1) == .new, "sessions are per client")
    }

    @Test func requestsOlderThanTheWindowExpire() {
        var sessions = ClientSessions<Int>(limits: .init(maxClients: 10, responsesPerClient: 3))
        for sequence: UInt64 in 1...5 { sessions.record(Int(sequence), client: 1, sequence: sequence, at: sequence) }
        #expect(sessions.lookUp(client: 1, sequence: 1) == .expired)
        #expect(sessions.lookUp(client: 1, sequence: 2) == .expired)
        #expect(sessions.lookUp(client: 1, sequence: 3) == .duplicate(3))
        #expect(sessions.lookUp(client: 1, sequence: 5) == .duplicate(5))
        #expect(sessions.lookUp(client: 1, sequence: 6) == .new)
    }

    /// Out-of-order arrival within the window is fine: a client may pipeline requests.
    @Test func pipelinedRequestsMayApplyOutOfOrder() {
        var sessions = ClientSessions<Int>(limits: .init(maxClients: 10, responsesPerClient: 4))
        sessions.record(2, client: 1, sequence: 2, at: 1)
        #expect(sessions.lookUp(client: 1, sequence: 1) == .new)
        sessions.record(1, client: 1, sequence: 1, at: 2)
        #expect(sessions.lookUp(client: 1, sequence: 2) == .duplicate(2))
    }

    /// Idle clients are forgotten beyond the limit, the least recently active first and the
    /// same way on every replica; a forgotten client's later requests expire rather than
    /// apply again.
    @Test func idleClientsAreForgottenDeterministically() {
        var sessions = ClientSessions<Int>(limits: .init(maxClients: 10, responsesPerClient: 2))
        for client: UInt64 in 1...10 {
            for sequence: UInt64 in 1...3 { sessions.record(0, client: client, sequence: sequence, at: client * 10 + sequence) }
        }
        var replica = sessions
        sessions.record(0, client: 11, sequence: 1, at: 200)
        replica.record(0, client: 11, sequence: 1, at: 200)
        #expect(sessions == replica)
        #expect(sessions.clientCount == 9)
        #expect(sessions.lookUp(client: 1, sequence: 3) == .expired, "client 1 was the least recently active")
        #expect(sessions.lookUp(client: 2, sequence: 3) == .expired)
        #expect(sessions.lookUp(client: 3, sequence: 3) == .duplicate(0))
        #expect(sessions.lookUp(client: 1, sequence: 1) == .new, "a new session under a forgotten id starts over")
    }

    @Test func theTableSurvivesASnapshotEncoding() throws {
        var sessions = ClientSessions<KVResponse>()
        sessions.record(.written(previous: nil), client: 3, sequence: 1, at: 5)
        #expect(try roundTrip(sessions) == sessions)
    }

    /// The KV example applies a compare-and-set retried after an unknown outcome once.
    @Test func kvStoreAppliesAnExactlyOnceCompareAndSetOnce() {
        var state = KVState()
        let cas = KVCommand.exactlyOnce(client: 9, sequence: 1, command: .compareAndSet(key: "k", expected: nil, new: "a"))
        let first = state.apply([Entry(logID: LogID(leaderID: LeaderID(term: 1, nodeID: 1), index: 1), payload: .command(cas))])
        let retry = state.apply([Entry(logID: LogID(leaderID: LeaderID(term: 1, nodeID: 1), index: 2), payload: .command(cas))])
        #expect(first == [.compareAndSet(succeeded: true, current: "a")])
        #expect(retry == first, "the retry gets the first answer, not a failed compare")
        let plain = KVCommand.compareAndSet(key: "k", expected: nil, new: "a")
        let plainRetry = state.apply([Entry(logID: LogID(leaderID: LeaderID(term: 1, nodeID: 1), index: 3), payload: .command(plain))])
        #expect(plainRetry == [.compareAndSet(succeeded: false, current: "a")], "without a session the retry applies again")
        let restored = try? KVState(snapshot: Snapshot(meta: KVSnapshotNaming.meta(for: state, sequence: 1), data: state.snapshotData()))
        #expect(restored == state, "sessions are part of the snapshot")
    }
}
