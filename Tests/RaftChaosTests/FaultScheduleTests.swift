import Testing
@testable import RaftChaos

@Suite struct FaultScheduleTests {
    @Test func theSameSeedGivesTheSameSchedule() {
        let kinds = Set(FaultKind.allCases)
        let first = FaultSchedule(seed: 42, kinds: kinds, nodeCount: 5, duration: .seconds(120), electionTimeout: .seconds(1))
        let again = FaultSchedule(seed: 42, kinds: kinds, nodeCount: 5, duration: .seconds(120), electionTimeout: .seconds(1))
        let other = FaultSchedule(seed: 43, kinds: kinds, nodeCount: 5, duration: .seconds(120), electionTimeout: .seconds(1))
        #expect(first.episodes == again.episodes)
        #expect(first.episodes != other.episodes)
        #expect(first.episodes.count > 5)
    }

    @Test func aMajorityStaysInServiceAndEpisodesFitTheRun() {
        for seed in UInt64(1)...200 {
            let schedule = FaultSchedule(seed: seed, kinds: Set(FaultKind.allCases), nodeCount: 5, duration: .seconds(90), electionTimeout: .seconds(1))
            var previousEnd = Duration.zero
            for episode in schedule.episodes {
                #expect(episode.start >= previousEnd, "seed \(seed): episodes overlap")
                #expect(episode.start < .seconds(90))
                #expect(episode.faults.filter(\.kind.impairsNode).count <= 2, "seed \(seed): \(episode)")
                let procedures = episode.faults.filter { [.membership, .wipe, .snapshotInstall].contains($0.kind) }
                #expect(procedures.isEmpty || episode.faults.count == 1, "seed \(seed): \(episode)")
                if episode.faults.contains(where: { $0.kind == .pause }) { #expect(episode.length >= .seconds(2)) }
                for fault in episode.faults where fault.kind == .split {
                    #expect(fault.others.count + 1 <= 2, "a minority of five is at most two: \(fault)")
                }
                previousEnd = episode.start + episode.length
            }
        }
    }

    @Test func everyKindStrikesBeforeAnyStrikesTwice() {
        let all = Set(FaultKind.allCases)
        for seed in UInt64(1)...200 {
            let schedule = FaultSchedule(seed: seed, kinds: all, nodeCount: 5, duration: .seconds(90), electionTimeout: .seconds(1))
            let dealt = schedule.episodes.flatMap(\.faults).map(\.kind)
            // CI's run (90 s) sees every kind, whatever its seed.
            #expect(Set(dealt) == all, "seed \(seed): missing \(all.subtracting(dealt).sorted())")
            var seen = Set<FaultKind>()
            for kind in dealt.prefix(all.count) {
                #expect(seen.insert(kind).inserted, "seed \(seed): \(kind) again before every kind struck once")
            }
        }
    }

    @Test func diskFaultsFailWritesAndFsyncsWithBothErrors() {
        var variants = Set<String>()
        for seed in UInt64(1)...50 {
            let schedule = FaultSchedule(seed: seed, kinds: [.disk, .kill], nodeCount: 5, duration: .seconds(120), electionTimeout: .seconds(1))
            for fault in schedule.episodes.flatMap(\.faults) where fault.kind == .disk {
                #expect(fault.parameter == 5 || fault.parameter == 28)
                variants.insert(fault.description.components(separatedBy: " ").suffix(3).joined(separator: " "))
            }
        }
        #expect(variants == ["EIO on pwrite", "EIO on fsync", "ENOSPC on pwrite", "ENOSPC on fsync"])
    }

    @Test func onlyTheChosenKindsAppear() throws {
        let kinds = try FaultKind.parse("all,-disk,-clock-jumps,-wipe")
        #expect(!kinds.contains(.disk) && !kinds.contains(.clockJumps) && !kinds.contains(.wipe))
        #expect(kinds.contains(.kill))
        let schedule = FaultSchedule(seed: 7, kinds: kinds, nodeCount: 5, duration: .seconds(300), electionTimeout: .seconds(1))
        #expect(schedule.episodes.allSatisfy { $0.faults.allSatisfy { kinds.contains($0.kind) } })
        #expect(try FaultKind.parse("kill,pause") == [.kill, .pause])
        #expect(throws: ChaosError.self) { try FaultKind.parse("kill,meteor") }
    }
}
