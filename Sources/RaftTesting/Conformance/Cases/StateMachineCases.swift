import Raft
import RaftCore

/// The state machine half of the suite. Each case gets a fresh state machine.
struct StateMachineCases<Machine: RaftStateMachine>: Sendable {
    typealias Types = Machine.Types

    let entries: EntryFactory<Types>
    let make: @Sendable () async throws -> Machine
    let reopen: (@Sendable (Machine) async throws -> Machine)?

    func canRun(_ testCase: ConformanceCase) -> Bool {
        testCase != .reopenStateMachine || reopen != nil
    }

    func run(_ testCase: ConformanceCase) async throws {
        let machine = try await make()
        switch testCase {
        case .pristineStateMachine: try await pristine(machine)
        case .applyReturnsOneResponsePerCommand: try await oneResponsePerCommand(machine)
        case .applyTracksMembership: try await tracksMembership(machine)
        case .buildSnapshotMatchesAppliedState: try await buildSnapshot(machine)
        case .installSnapshotReplacesState: try await installReplaces(machine)
        case .applyAfterInstall: try await applyAfterInstall(machine)
        case .reopenStateMachine: try await reopenKeepsSnapshot(machine)
        default: preconditionFailure("\(testCase) is not a state machine case")
        }
    }

    private func entry(_ index: LogIndex, _ payload: EntryPayload<Types>, term: Term = 1) -> Entry<Types> {
        Entry(logID: LogID(term: term, nodeID: 1, index: index), payload: payload)
    }

    private func command(_ index: LogIndex, term: Term = 1) -> Entry<Types> {
        entry(index, .command(entries.fixtures.makeCommand(Int(index))), term: term)
    }

    private func checkApplied(_ machine: Machine, last: LogID?, membership: StoredMembership<Types>, _ what: String) async throws {
        let applied = try await machine.appliedState()
        try checkEqual(applied.lastApplied, last, "\(what): last applied")
        try checkEqual(applied.membership, membership, "\(what): applied membership")
    }

    private func checkMeta(_ meta: SnapshotMeta<Types>, last: LogID?, membership: StoredMembership<Types>, _ what: String) throws {
        try checkEqual(meta.lastLogID, last, "\(what): snapshot last log id")
        try checkEqual(meta.lastMembership, membership, "\(what): snapshot membership")
    }

    // MARK: Cases

    private func pristine(_ machine: Machine) async throws {
        let applied = try await machine.appliedState()
        try checkEqual(applied.lastApplied, nil, "last applied")
        try checkEqual(applied.membership.logID, nil, "membership log id")
        try check(try await machine.currentSnapshot() == nil, "a new state machine has a current snapshot")
    }

    private func oneResponsePerCommand(_ machine: Machine) async throws {
        let membership = entries.membership(voters: [1, 2, 3])
        let batch = [entry(1, .blank), command(2), entry(3, .membership(membership)), command(4), command(5)]
        try checkEqual(try await machine.apply(batch).count, 3, "responses for 3 commands among 5 entries")
        try checkEqual(try await machine.apply([entry(6, .blank)]).count, 0, "responses for a blank entry")
        try checkEqual(try await machine.apply([command(7)]).count, 1, "responses for one command")
        try await checkApplied(machine, last: LogID(term: 1, nodeID: 1, index: 7),
                               membership: StoredMembership(logID: batch[2].logID, membership: membership), "after three applies")
    }

    private func tracksMembership(_ machine: Machine) async throws {
        let first = entries.membership(voters: [1])
        let joint = Membership<Types>(config: MembershipConfig(voterSets: [VoterSet([1]), VoterSet([1, 2, 3])]),
                                      addresses: entries.membership(voters: [1, 2, 3]).addresses)
        let final = entries.membership(voters: [1, 2, 3], learners: [4])
        _ = try await machine.apply([entry(1, .membership(first)), command(2)])
        try await checkApplied(machine, last: LogID(term: 1, nodeID: 1, index: 2),
                               membership: StoredMembership(logID: LogID(term: 1, nodeID: 1, index: 1), membership: first), "after the first config")
        _ = try await machine.apply([entry(3, .membership(joint), term: 2), entry(4, .membership(final), term: 2), entry(5, .blank, term: 2)])
        try await checkApplied(machine, last: LogID(term: 2, nodeID: 1, index: 5),
                               membership: StoredMembership(logID: LogID(term: 2, nodeID: 1, index: 4), membership: final), "after a joint change")
    }

    private func buildSnapshot(_ machine: Machine) async throws {
        let membership = entries.membership(voters: [1, 2])
        _ = try await machine.apply([entry(1, .membership(membership)), command(2), command(3)])
        let snapshot = try await machine.buildSnapshot()
        let stored = StoredMembership(logID: LogID(term: 1, nodeID: 1, index: 1), membership: membership)
        try checkMeta(snapshot.meta, last: LogID(term: 1, nodeID: 1, index: 3), membership: stored, "built snapshot")
        let current = try await machine.currentSnapshot()
        try checkEqual(current?.meta, snapshot.meta, "current snapshot meta")
        try checkEqual(current?.data, snapshot.data, "current snapshot data")
        _ = try await machine.apply([command(4)])
        let second = try await machine.buildSnapshot()
        try check(second.meta.snapshotID != snapshot.meta.snapshotID, "two snapshots share the id \(second.meta.snapshotID)")
        try checkMeta(second.meta, last: LogID(term: 1, nodeID: 1, index: 4), membership: stored, "second snapshot")
    }

    /// Builds a snapshot on a separate machine, the way a follower receives one from a leader.
    private func leaderSnapshot() async throws -> (Snapshot<Types>, StoredMembership<Types>) {
        let leader = try await make()
        let membership = entries.membership(voters: [1, 2, 3])
        _ = try await leader.apply([entry(1, .membership(membership), term: 3)] + (2...9).map { command($0, term: 3) })
        return (try await leader.buildSnapshot(), StoredMembership(logID: LogID(term: 3, nodeID: 1, index: 1), membership: membership))
    }

    private func installReplaces(_ machine: Machine) async throws {
        _ = try await machine.apply([entry(1, .membership(entries.membership(voters: [5]))), command(2)])
        let (snapshot, membership) = try await leaderSnapshot()
        try await machine.installSnapshot(snapshot)
        try await checkApplied(machine, last: snapshot.meta.lastLogID, membership: membership, "after install")
        let current = try await machine.currentSnapshot()
        try checkEqual(current?.meta, snapshot.meta, "current snapshot after install")
    }

    private func applyAfterInstall(_ machine: Machine) async throws {
        let (snapshot, membership) = try await leaderSnapshot()
        try await machine.installSnapshot(snapshot)
        try checkEqual(try await machine.apply([command(10, term: 3), command(11, term: 3)]).count, 2, "responses after install")
        try await checkApplied(machine, last: LogID(term: 3, nodeID: 1, index: 11), membership: membership, "after applying past the snapshot")
        let rebuilt = try await machine.buildSnapshot()
        try checkMeta(rebuilt.meta, last: LogID(term: 3, nodeID: 1, index: 11), membership: membership, "snapshot built after install")
    }

    private func reopenKeepsSnapshot(_ machine: Machine) async throws {
        guard let reopen else { return }
        _ = try await machine.apply([entry(1, .membership(entries.membership(voters: [1]))), command(2), command(3)])
        let snapshot = try await machine.buildSnapshot()
        _ = try await machine.apply([command(4)])
        let reopened = try await reopen(machine)
        let current = try await reopened.currentSnapshot()
        try checkEqual(current?.meta, snapshot.meta, "current snapshot after reopen")
        try checkEqual(current?.data, snapshot.data, "current snapshot data after reopen")
        // A volatile state machine restarts from its snapshot and the runtime re-applies the
        // log; a durable one may remember more. Either way nothing beyond what was applied.
        let applied = try await reopened.appliedState().lastApplied.indexOrZero
        try check(applied >= 3 && applied <= 4, "last applied index after reopen is \(applied), expected 3 or 4")
    }
}
