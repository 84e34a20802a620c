import Raft
import RaftCore
@testable import RaftFileStore
import RaftTesting
import Testing

@Suite struct FileStoreConformanceTests {
    /// The real file store, on the real file system, passes every case including reopen.
    @Test func fileLogStorePassesTheSuite() async throws {
        let root = TemporaryDirectory("conformance")
        defer { root.remove() }
        let counter = Counter()
        let report = await StorageConformance.runLogStore(
            fixtures: .keyValue,
            make: { try FileLogStore<KVTypes>(directory: root.sub("log-\(counter.next())")) },
            reopen: { store in
                await store.close()
                return try FileLogStore<KVTypes>(directory: store.core.directory)
            },
            close: { store in await store.close() })
        #expect(report.succeeded, "\(report)")
        #expect(report.skipped.isEmpty)
    }

    /// Small segments and a tiny cache force rolls and reads from disk in every case.
    @Test func tinySegmentsAndCachePassTheSuite() async throws {
        let root = TemporaryDirectory("conformance-small")
        defer { root.remove() }
        let counter = Counter()
        var options = FileLogStoreOptions()
        options.segmentSizeBytes = 4096
        options.cacheMaxEntries = 2
        options.cacheMaxBytes = 100
        let settings = options
        let report = await StorageConformance.runLogStore(
            fixtures: .keyValue,
            make: { try FileLogStore<KVTypes>(directory: root.sub("log-\(counter.next())"), options: settings) },
            reopen: { store in
                await store.close()
                return try FileLogStore<KVTypes>(directory: store.core.directory, options: settings)
            },
            close: { store in await store.close() })
        #expect(report.succeeded, "\(report)")
    }
}
