import Raft
import RaftCore
@testable import RaftFileStore
import Testing

/// Crashes the scripted workload at every write, fsync, rename, unlink and directory sync,
/// under several models of what unsynced data survives, and checks the reopened log:
/// everything acknowledged is there and intact, nothing appears that was never written,
/// and the vote and commit point are an old or a new value, never garbage.
@Suite struct CrashRecoveryTests {
    let workload = ScriptedWorkload.standard

    func lossModes(_ call: Int) -> [LossMode] {
        [.dropAllUnsynced, .keepAllUnsynced, .keepRandomPrefix(seed: UInt64(call)), .tearNextWrite(seed: UInt64(call) &* 7919)]
    }

    @Test func everyCrashPointRecoversAcknowledgedState() async throws {
        let baseline = SimulatedFileSystem()
        let clean = try await workload.run(on: baseline)
        #expect(!clean.failed)
        let totalCalls = baseline.mutatingCalls
        #expect(totalCalls > 80, "the workload should exercise many crash points, has \(totalCalls)")

        var checked = 0
        for call in 1...totalCalls {
            for mode in lossModes(call) {
                let disk = SimulatedFileSystem()
                disk.crash(atCall: call, losing: mode)
                let outcome = try await workload.run(on: disk)
                let image = try #require(disk.crashImage, "crash point \(call) was never reached")
                try await verify(image, outcome, context: "crash at call \(call), \(mode)")
                checked += 1
            }
        }
        #expect(checked == totalCalls * 4)
    }

    /// Reopens `image` and checks it against what the workload acknowledged; then appends and
    /// reopens once more, so the state recovery leaves behind is itself recoverable.
    func verify(_ image: DiskImage, _ outcome: ScriptedWorkload.Outcome, context: String) async throws {
        let states = workload.modelStates()
        let disk = SimulatedFileSystem(image: image)
        let store: FileLogStore<KVTypes>
        do {
            store = try FileLogStore<KVTypes>(directory: workload.directory, options: workload.options, fileSystem: disk)
        } catch {
            Issue.record("\(context): reopening failed: \(error)")
            return
        }
        let found = try await readModel(store)
        let candidates = states[outcome.acknowledged...max(outcome.acknowledged, outcome.issued)]
        #expect(candidates.contains(found.model),
                "\(context): recovered \(found.model), acknowledged state \(outcome.acknowledged) is \(states[outcome.acknowledged])")
        #expect(found.payloadsIntact, "\(context): an entry's payload differs from what was appended")

        let vote = try await store.readVote()
        #expect(vote == outcome.acknowledgedVote || (outcome.voteInFlight != nil && vote == outcome.voteInFlight),
                "\(context): vote \(String(describing: vote)), acknowledged \(String(describing: outcome.acknowledgedVote))")
        let committed = try await store.readCommitted()
        #expect(outcome.committedSaved.contains(committed), "\(context): committed \(String(describing: committed)) was never saved")

        // The recovered store keeps working, and what it writes survives another restart.
        let next = LogID(term: 9, nodeID: 9, index: found.model.last.indexOrZero + 1)
        let acks = AckRecorder()
        try await store.append([ScriptedWorkload.entry(next)], onDurable: { acks.record($0, reached: 1) })
        await acks.wait(forCount: 1)
        #expect(!acks.failed, "\(context): append after recovery failed")
        await store.close()
        let again = try FileLogStore<KVTypes>(directory: workload.directory, options: workload.options, fileSystem: disk)
        var expected = found.model
        expected.entries.append(next)
        expected.last = next
        #expect(try await readModel(again).model == expected, "\(context): second recovery differs")
        await again.close()
    }

    func readModel(_ store: FileLogStore<KVTypes>) async throws -> (model: ScriptedWorkload.ModelLog, payloadsIntact: Bool) {
        let state = try await store.logState()
        let entries = try await store.entries(in: 0..<(state.lastLogID.indexOrZero + 1))
        let intact = entries.allSatisfy { entry in
            if case .command(let command) = entry.payload, case .command(let expected) = ScriptedWorkload.entry(entry.logID).payload {
                return command == expected
            }
            return false
        }
        return (ScriptedWorkload.ModelLog(purged: state.lastPurgedLogID, entries: entries.map(\.logID), last: state.lastLogID), intact)
    }
}
