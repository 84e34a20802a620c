import RaftCore
import Testing
@testable import RaftTesting

/// The judge is judged: deliberately broken engines must each be caught within a bounded
/// number of seeds, by a checker that names the property they break.
@Suite("Broken engines are caught", .ownThread)
struct BrokenEngineTests {
    func caught(_ faults: EngineTestingFaults, mode: LeaderIDMode? = nil, expecting properties: Set<String>) {
        let options = testOptions(faultSeconds: 2) {
            $0.engineFaults = faults
            $0.leaderIDMode = mode
        }
        let report = firstFailure(seeds: 1...50, options: options)
        #expect(report != nil, "no seed in 1...50 caught the broken engine")
        if let report {
            #expect(properties.contains(report.violation!.property), "seed \(report.seed): \(report.violation!)")
        }
    }

    @Test func commitCountingUnflushedLeaderEntries() {
        caught(.commitCountsUnflushedEntries, expecting: ["committed durable on a quorum", "committed entries never lost"])
    }

    @Test func grantingTwoVotesInOneTerm() {
        caught(.grantsTwoVotesPerTerm, mode: .standard, expecting: ["vote monotonic", "election safety"])
    }

    @Test func truncatingCommittedEntriesOnAFollower() {
        caught(.truncatesCommittedEntries, expecting: ["committed entry truncated", "committed durable on a quorum", "state ordering"])
    }

    @Test func applyingBeforeCommit() {
        caught(.appliesBeforeCommit, expecting: ["applied only committed", "applied ≤ committed"])
    }
}
