import RaftCore
import Testing
@testable import RaftTesting

/// The simulated disk keeps fsync semantics, and recovery tells a torn tail from corruption
/// of acknowledged data.
@Suite("Simulated disk")
struct DiskModelTests {
    @Test func aCrashKeepsSyncedWritesAndAPrefixOfTheRest() {
        var disk = SimDisk()
        #expect(disk.write(.append([entry(1, 1, 1), entry(1, 1, 2)]), io: 1) == nil)
        #expect(disk.sync() == 1)
        #expect(disk.write(.append([entry(1, 1, 3)]), io: 2) == nil)
        #expect(disk.write(.saveVote(Vote(term: 2, votedFor: 1)), io: 3) == nil)
        #expect(disk.visible.lastIndex == 3)
        disk.crash(survivingWrites: 1, tornEntries: nil)
        #expect(disk.durable.lastIndex == 3)
        #expect(disk.durable.vote == .initial, "the vote was written after the surviving prefix")
        disk.crash(survivingWrites: 0, tornEntries: nil)
        #expect(disk.durable.lastIndex == 3, "a crash never loses synced data")
    }

    @Test func aTornTailIsDroppedWithoutSuspendingTheNode() {
        var disk = SimDisk()
        _ = disk.write(.append([entry(1, 1, 1)]), io: 1)
        _ = disk.sync()
        _ = disk.write(.append([entry(1, 1, 2), entry(1, 1, 3), entry(1, 1, 4)]), io: 2)
        disk.crash(survivingWrites: 1, tornEntries: 1)
        #expect(disk.durable.lastIndex == 3, "one entry kept, then garbage")
        let recovery = Recovery(from: disk.durable, keyCount: 1)
        #expect(recovery.tornEntriesDropped == 1)
        #expect(!recovery.lostAcknowledgedState)
        #expect(!recovery.state.votingSuspended)
        #expect(recovery.state.lastLogID == lid(1, 1, 2))
    }

    @Test func aCorruptSyncedEntryIsDroppedWithItsSuffixAndSuspendsVoting() {
        var disk = SimDisk()
        _ = disk.write(.append([entry(1, 1, 1), entry(1, 1, 2), entry(1, 1, 3)]), io: 1)
        _ = disk.sync()
        let corrupted = disk.corruptEntry(at: 2)
        #expect(corrupted)
        #expect(disk.durable.hasLatentCorruption)
        let recovery = Recovery(from: disk.durable, keyCount: 1)
        #expect(recovery.lostAcknowledgedState)
        #expect(recovery.state.votingSuspended)
        #expect(recovery.state.lastLogID == lid(1, 1, 1))
        #expect(recovery.image.votingSuspended, "the suspension is written back, so it survives another restart")
    }

    @Test func aCorruptVoteIsForgottenAndSuspendsVoting() {
        var disk = SimDisk()
        _ = disk.write(.saveVote(Vote(term: 3, votedFor: 2)), io: 1)
        _ = disk.sync()
        disk.corruptVote()
        let recovery = Recovery(from: disk.durable, keyCount: 1)
        #expect(recovery.state.vote == .initial)
        #expect(recovery.state.votingSuspended)
    }

    @Test func aGapInTheLogIsAContractViolation() {
        var disk = SimDisk()
        _ = disk.write(.append([entry(1, 1, 1)]), io: 1)
        #expect(disk.write(.append([entry(1, 1, 3)]), io: 2) != nil)
    }
}
