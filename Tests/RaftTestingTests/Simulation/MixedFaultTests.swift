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
