import Foundation
import Testing

/// `raft-sim --seeds` survives a seed that traps: the seed is named as crashed with its trap's
/// message and replay command, the batch goes on with the next seed, and the exit is non-zero.
@Suite("raft-sim seed isolation", .ownThread)
struct SeedIsolationTests {
    /// raft-sim is built next to the test bundle (it is a dependency of this test target).
    static var simulatorPath: String? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let path = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("raft-sim").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    @Test func aTrappingSeedIsReportedAndTheBatchGoesOn() throws {
        let simulator = try #require(Self.simulatorPath, "raft-sim is not built next to the tests")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: simulator)
        // One worker for all eight seeds, so that after a trap a new worker must go on from
        // the next seed. In standard mode, a second vote in a term is a backward vote, which
        // this broken engine grants, tripping the engine's precondition.
        process.arguments = [
            "--seeds", "1..8", "--jobs", "1", "--seeds-per-worker", "8", "--duration", "1", "--mode", "standard",
            "--broken-engine", "trap-on-second-vote",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0, "a crashed seed fails the batch")

        let lines = output.split(separator: "\n").map(String.init)
        // The last line: "P passed, F failed (C crashed: s1, s2, ...)".
        let summary = lines.last ?? ""
        let words = summary.split(separator: " ").map(String.init)
        let passed = words.count > 2 ? Int(words[0]) : nil
        let failed = words.count > 2 ? Int(words[2]) : nil
        let crashedList = summary.split(separator: ":").last.map { $0.dropLast() } ?? ""
        let crashed = crashedList.split(separator: ",").compactMap { UInt64($0.filter(\.isNumber)) }
        #expect((passed ?? 0) + (failed ?? 0) == 8, "every seed accounted for: \(summary)")
        #expect(!crashed.isEmpty && crashed.count == failed, "\(summary)")
        #expect((passed ?? 0) > 0, "some seeds never ask a node for two votes in a term: \(summary)")
        for seed in crashed {
            #expect(lines.contains { $0.hasPrefix("seed \(seed): CRASHED (signal") }, "seed \(seed)")
            #expect(lines.contains { $0.contains("replay: swift run -c release raft-sim --seed \(seed) ") })
        }
        #expect(lines.contains { $0.contains("Precondition failed: vote must not go backwards") }, "the trap's message is shown")
        // With one worker for all eight seeds, every seed accounted for after a crash before
        // the last one means a new worker went on from the seed after it.
        #expect((crashed.min() ?? 8) < 8, "\(summary)")
    }
}
