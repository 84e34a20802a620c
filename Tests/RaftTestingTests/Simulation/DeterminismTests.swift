import Testing
@testable import RaftTesting

@Suite("Simulation determinism", .ownThread)
struct DeterminismTests {
    @Test func sameSeedReplaysTheSameTrace() {
        let options = testOptions(faultSeconds: 2)
        let first = simulate(seed: 7, options: options)
        let second = simulate(seed: 7, options: options)
        #expect(first.traceHash == second.traceHash)
        #expect(first.steps == second.steps)
        #expect(first.simulatedNanoseconds == second.simulatedNanoseconds)
        #expect(first.recentEvents == second.recentEvents)
    }

    @Test func differentSeedsDiffer() {
        let options = testOptions(faultSeconds: 2)
        let hashes = Set((1...4).map { simulate(seed: UInt64($0), options: options).traceHash })
        #expect(hashes.count == 4)
    }

    @Test func theTraceSinkSeesEveryRecordedEvent() {
        var lines = 0
        let report = simulate(seed: 3, options: testOptions(faultSeconds: 1)) { _ in lines += 1 }
        #expect(lines >= report.steps)
    }

    /// xoshiro256** seeded through SplitMix64, checked against values computed independently:
    /// a change here changes every seed's run, so it must be deliberate.
    @Test func prngMatchesItsReferenceValues() {
        var random = SimRandom(seed: 42)
        #expect([random.next(), random.next(), random.next()] == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
        var bounded = SimRandom(seed: 1)
        for _ in 0..<1000 { #expect(bounded.below(7) < 7) }
    }
}
