import Raft
import RaftCore
@testable import RaftFileStore
import Testing

/// Latent corruption of synced data: every flipped bit is either harmless (padding, or the very
/// last commit marker, whose batch is then kept as a valid prefix) or reported as corruption
/// with the damaged file and an offset at or before the flip. Never a silently shorter log.
@Suite struct BitFlipTests {
    let workload = ScriptedWorkload.standard

    @Test func flippedBitsAreDetectedOrHarmless() async throws {
        let disk = SimulatedFileSystem()
        let outcome = try await workload.run(on: disk)
        #expect(!outcome.failed)
        let image = disk.crashNow(losing: .dropAllUnsynced)
        let expected = workload.modelStates().last!
        let files = image.files.keys.filter { !$0.hasSuffix("/LOCK") }.sorted()
        #expect(files.contains { $0.hasSuffix("/vote") })

        var random = SeededGenerator(seed: 2024)
        var detected = 0
        var harmless = 0
        for round in 0..<400 {
            let path = files[round % files.count]
            let size = image.files[path]!.count
            let offset = Int.random(in: 0..<size, using: &random)
            let bit = Int.random(in: 0..<8, using: &random)
            var damaged = image
            damaged.files[path]![offset] ^= UInt8(1 << bit)
            let context = "bit \(bit) of byte \(offset) in \(path)"
            do {
                let store = try FileLogStore<KVTypes>(directory: workload.directory, options: workload.options,
                                                      fileSystem: SimulatedFileSystem(image: damaged))
                let state = try await store.logState()
                let ids = try await store.entries(in: 0..<(state.lastLogID.indexOrZero + 1)).map(\.logID)
                #expect(ScriptedWorkload.ModelLog(purged: state.lastPurgedLogID, entries: ids, last: state.lastLogID) == expected,
                        "\(context): opened with a different log")
                #expect(try await store.readVote() == outcome.acknowledgedVote, "\(context): vote changed")
                await store.close()
                harmless += 1
            } catch {
                #expect(error.isCorruption, "\(context): \(error)")
                guard case let .file(reportedPath, reportedOffset) = error.subject else {
                    Issue.record("\(context): no file location in \(error)")
                    continue
                }
                #expect(reportedPath == path, "\(context): reported \(reportedPath)")
                #expect((reportedOffset ?? 0) <= Int64(offset), "\(context): reported offset \(String(describing: reportedOffset))")
                detected += 1
            }
        }
        #expect(detected > 300, "only \(detected) of 400 flips were detected (\(harmless) harmless)")
    }
}
