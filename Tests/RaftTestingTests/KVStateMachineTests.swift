import Raft
import RaftCore
import Testing

@Suite struct KVStateMachineTests {
    func entry(_ index: LogIndex, _ command: KVCommand) -> Entry<KVTypes> {
        Entry(logID: LogID(term: 1, nodeID: 1, index: index), payload: .command(command))
    }

    @Test func commandsAnswerInOrder() async throws {
        let machine = MemoryKVStateMachine()
        let responses = try await machine.apply([
            entry(1, .put(key: "a", value: "1")),
            entry(2, .put(key: "a", value: "2")),
            entry(3, .get(key: "a")),
            entry(4, .compareAndSet(key: "a", expected: "1", new: "3")),
            entry(5, .compareAndSet(key: "a", expected: "2", new: "3")),
            entry(6, .compareAndSet(key: "b", expected: nil, new: "new")),
            entry(7, .delete(key: "a")),
            entry(8, .get(key: "a")),
            entry(9, .compareAndSet(key: "b", expected: "new", new: nil)),
        ])
        #expect(responses == [
            .written(previous: nil), .written(previous: "1"), .value("2"),
            .compareAndSet(succeeded: false, current: "2"), .compareAndSet(succeeded: true, current: "3"),
            .compareAndSet(succeeded: true, current: "new"), .written(previous: "3"), .value(nil),
            .compareAndSet(succeeded: true, current: nil),
        ])
        #expect(machine.state.values.isEmpty)
        #expect(try await machine.appliedState().lastApplied?.index == 9)
    }

    @Test func snapshotRestoresTheSameState() async throws {
        let machine = MemoryKVStateMachine()
        _ = try await machine.apply((1...100).map { entry($0, .put(key: "k\($0 % 13)", value: "v\($0)")) })
        let snapshot = try await machine.buildSnapshot()
        let restored = MemoryKVStateMachine()
        try await restored.installSnapshot(snapshot)
        #expect(restored.state == machine.state)
        #expect(try await restored.buildSnapshot().data == snapshot.data)
    }

    @Test func snapshotDataMustMatchItsMetadata() async throws {
        let machine = MemoryKVStateMachine()
        _ = try await machine.apply([entry(1, .put(key: "a", value: "b"))])
        var snapshot = try await machine.buildSnapshot()
        snapshot.meta.lastLogID = LogID(term: 9, nodeID: 9, index: 9)
        await #expect(throws: StorageError.self) { try await MemoryKVStateMachine().installSnapshot(snapshot) }
        snapshot.data = [1, 2, 3]
        do {
            try await MemoryKVStateMachine().installSnapshot(snapshot)
            Issue.record("garbage snapshot data was accepted")
        } catch {
            #expect(error.isCorruption)
        }
    }

    @Test func memoryLogStoreRejectsGaps() async throws {
        let store = MemoryLogStore<KVTypes>()
        try await store.append([entry(1, .get(key: "x"))], onDurable: { _ in })
        await #expect(throws: StorageError.self) {
            try await store.append([entry(3, .get(key: "x"))], onDurable: { _ in })
        }
        await #expect(throws: StorageError.self) {
            try await store.purge(upTo: LogID(term: 1, nodeID: 1, index: 1))
            try await store.truncate(after: nil)
        }
    }
}
