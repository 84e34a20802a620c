import Raft
import RaftCore
@testable import RaftKV
import Testing

/// The store's apply, prefix index and snapshots, without a cluster.
@Suite("RaftKV: store")
struct StoreTests {
    var nextIndex: UInt64 = 0

    mutating func entry(_ command: StoreCommand) -> Entry<StoreTypes> {
        nextIndex += 1
        return Entry(logID: LogID(term: 2, nodeID: 1, index: nextIndex), payload: .command(command))
    }

    @Test mutating func prefixReadsSeeCreatedDeletedAndRecreatedKeysInOrder() {
        var state = StoreState()
        let keys = (0..<200).map { "k\(($0 * 37) % 200)" }
        _ = state.apply(keys.map { entry(.put(key: $0, value: "v")) })
        #expect(state.list(prefix: "k1", limit: 3).map(\.key) == ["k1", "k10", "k100"])
        _ = state.apply([entry(.delete(key: "k10")), entry(.delete(key: "k1")), entry(.put(key: "k1", value: "again")), entry(.put(key: "k0a", value: "x"))])
        #expect(state.list(prefix: "k1", limit: 3).map(\.key) == ["k1", "k100", "k101"])
        #expect(state.list(prefix: "k1", limit: 1).first?.value == "again")
        #expect(state.list(prefix: "k0", limit: 10).map(\.key) == ["k0", "k0a"])
        #expect(state.list(prefix: "", limit: 1000).map(\.key) == state.values.keys.sorted())
        #expect(state.list(prefix: "zzz", limit: 10).isEmpty)
    }

    @Test mutating func transactionsCompareAndSetAndSessions() {
        var state = StoreState()
        let results = state.apply([
            entry(.put(key: "a", value: "1")),
            entry(.compareAndSet(key: "a", expected: "2", new: "3")),
            entry(.transaction(StoreTransaction(compares: [.valueEquals(key: "a", value: "1"), .exists(key: "b", false)],
                                                success: [.put(key: "b", value: "2"), .delete(key: "a")], failure: [.put(key: "c", value: "no")]))),
            entry(.exactlyOnce(client: 7, sequence: 1, command: .compareAndSet(key: "b", expected: "2", new: "3"))),
            entry(.exactlyOnce(client: 7, sequence: 1, command: .compareAndSet(key: "b", expected: "2", new: "3"))),
        ])
        #expect(results[0].outcome == .written(previous: nil))
        #expect(results[1].outcome == .compareAndSet(succeeded: false, current: "1"))
        #expect(results[2].outcome == .transaction(succeeded: true))
        #expect(results[3].outcome == .compareAndSet(succeeded: true, current: "3"))
        #expect(results[4] == results[3], "the retry gets the first result, log id included")
        #expect(state.values == ["b": "3"])
    }

    @Test mutating func snapshotsRoundTripDataSessionsAndTheIndex() throws {
        var state = StoreState()
        _ = state.apply([entry(.put(key: "x/1", value: "a")), entry(.exactlyOnce(client: 1, sequence: 1, command: .put(key: "x/2", value: "b")))])
        let meta = SnapshotMeta<StoreTypes>(lastLogID: state.lastApplied, lastMembership: state.membership, snapshotID: "s")
        var restored = try StoreState(snapshot: Snapshot(meta: meta, data: state.snapshotData()))
        #expect(restored.values == state.values)
        #expect(restored.list(prefix: "x/", limit: 10).map(\.key) == ["x/1", "x/2"])
        let retry = restored.apply([entry(.exactlyOnce(client: 1, sequence: 1, command: .put(key: "x/2", value: "b")))])
        #expect(retry.first?.index == 2, "the restored session answers the retry with the first result")
        var corrupt = state.snapshotData()
        corrupt[corrupt.count / 2] ^= 0xff
        #expect(throws: StorageError.self) { try StoreState(snapshot: Snapshot(meta: meta, data: corrupt)) }
    }

    @Test func commandsSurviveTheBinaryCoder() throws {
        let commands: [StoreCommand] = [
            .put(key: "k", value: "v"), .delete(key: "k"), .compareAndSet(key: "k", expected: nil, new: "n"),
            .compareAndSet(key: "k", expected: "e", new: nil),
            .exactlyOnce(client: 9, sequence: 3, command: .transaction(StoreTransaction(
                compares: [.exists(key: "a", true), .valueEquals(key: "b", value: "c")], success: [.put(key: "d", value: "e")], failure: [.delete(key: "f")]))),
        ]
        for command in commands {
            #expect(try BinaryDecoder().decode(StoreCommand.self, from: BinaryEncoder().encode(command)) == command)
        }
    }
}
