import Raft
import RaftCore
import RaftTesting
import Testing

@Suite struct MemoryStoresConformanceTests {
    @Test func memoryStoresPassTheSuite() async {
        let report = await StorageConformance.run(
            fixtures: .keyValue,
            makeLogStore: { MemoryLogStore<KVTypes>() },
            makeStateMachine: { MemoryKVStateMachine() })
        #expect(report.succeeded, "\(report)")
        #expect(report.skipped == [.reopenAfterCleanShutdown, .reopenStateMachine])
        #expect(report.passed.count == ConformanceCase.allCases.count - 2)
    }

    @Test func memoryLogStoreWorksWithOtherTypes() async {
        enum BytesTypes: RaftTypeConfig {
            typealias Command = [UInt8]
            typealias Response = Int
            typealias NodeAddress = String
        }
        let report = await StorageConformance.runLogStore(
            fixtures: ConformanceFixtures<BytesTypes> { seed in [UInt8(truncatingIfNeeded: seed), 7] },
            make: { MemoryLogStore<BytesTypes>() })
        #expect(report.succeeded, "\(report)")
    }
}
