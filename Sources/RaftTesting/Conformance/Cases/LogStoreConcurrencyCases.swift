import Raft
import RaftCore
import Synchronization

extension LogStoreCases {
    /// Readers running while a writer appends must always see a contiguous prefix of what was
    /// appended: no gaps, no torn entries, nothing that was not appended, and never fewer
    /// entries than the log state they just read promised.
    func concurrentReadsSeeConsistentPrefixes(_ store: Store) async throws {
        let total: LogIndex = 400
        let expected = entries.entries(1...total)
        let writerDone = DoneFlag()
        let recorder = FlushRecorder()

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var next = 0
                var tag = 0
                while next < expected.count {
                    let size = min(tag % 7 + 1, expected.count - next)
                    try await store.append(Array(expected[next..<(next + size)]), onDurable: recorder.callback(tag))
                    next += size
                    tag += 1
                }
                try await recorder.wait(forCount: tag)
                writerDone.set()
            }
            for reader in 0..<2 {
                group.addTask {
                    var reads = 0
                    while !writerDone.isSet || reads < 5 {
                        reads += 1
                        let state = try await store.logState()
                        let last = state.lastLogID.indexOrZero
                        let upper = reader == 0 ? last + 1 : total + 50
                        let got = try await store.entries(in: 1..<upper)
                        try check(got.count >= Int(last), "read \(got.count) entries after the log state reported \(last)")
                        try checkEntries(got, Array(expected[0..<got.count]), "concurrent read \(reads) of reader \(reader)")
                        await Task.yield()
                    }
                }
            }
            try await group.waitForAll()
        }
        try check(recorder.failures.isEmpty, "flush callbacks reported failures: \(recorder.failures)")
    }
}

/// Tells readers the writer finished.
private final class DoneFlag: Sendable {
    private let done = Atomic<Bool>(false)

    var isSet: Bool { done.load(ordering: .acquiring) }

    func set() { done.store(true, ordering: .releasing) }
}
