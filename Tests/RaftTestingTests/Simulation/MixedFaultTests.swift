import RaftCore
import Testing
@testable import RaftTesting

/// A small batch of seeds with every fault class on must pass: safety after every step,
/// linearizable client histories, and recovery once faults heal. The long batch runs in CI
/// through `raft-sim --seeds`.
@Suite("Mixed faults", .ownThread)
struct MixedFaultTests {
    @Test(arguments: [3, 5])
    func seedsPass(nodes: Int) {
        let options = testOptions { $0.nodeCount = nodes }
        for seed: UInt64 in 1...10 {
            let report = simulate(seed: seed, options: options)
            #expect(report.passed, "seed \(seed) (\(nodes) nodes): \(report.violation.map(\.description) ?? "")\n\(report.recentEvents.suffix(20).joined(separator: "\n"))")
            #expect(report.stats.operationsOK > 0, "seed \(seed): clients got answers")
        }
    }

    @Test func eachFaultClassAloneExercisesTheCluster() {
        for (name, faults) in FaultSet.classes {
            let report = simulate(seed: 11, options: testOptions(faultSeconds: 2) { $0.faults = faults })
            #expect(report.passed, "faults \(name): \(report.violation.map(\.description) ?? "")")
        }
    }

    @Test func faultNamesParse() throws {
        #expect(try FaultSet(parsing: "all,-wipes") == FaultSet.all.subtracting(.wipes))
        #expect(try FaultSet(parsing: "loss, crashes") == [.loss, .crashes])
        #expect(throws: FaultSetParseError.self) { try FaultSet(parsing: "gremlins") }
    }
}

/// Seeds that found real engine bugs, replayed at the CLI's full length.
@Suite("Simulator: seeds that found bugs", .ownThread)
struct FoundBugSeedTests {
    /// A node restarted with a wiped disk (voting suspended) acknowledged a deposed leader it
    /// had promised not to follow; the deposed leader counted it toward commit and lease.
    /// Suspended nodes now count toward no quorum.
    @Test(arguments: [(UInt64(1202), "all"), (UInt64(1679), "all,-clock-jumps")])
    func suspendedNodeDoesNotHelpADeposedLeaderCommit(seed: UInt64, faults: String) throws {
        var options = SimulationOptions()
        options.faults = try FaultSet(parsing: faults)
        let report = simulate(seed: seed, options: options)
        #expect(report.passed, "seed \(seed): \(report.violation.map { "\($0)" } ?? "")")
    }
}
