import Synchronization
/// A state machine wrapper that validates every call: entries are applied once each, in
/// order, with one response per command; snapshots never move the state backwards; the
/// applied state reported matches what was applied.
public final class DefensiveStateMachine<Types: RaftTypeConfig>: RaftStateMachine {
    @usableFromInline let base: any RaftStateMachine<Types>
    @usableFromInline let tracker: DefensiveTracker

    @inlinable init(base: any RaftStateMachine<Types>, tracker: DefensiveTracker) {
        self.base = base
        self.tracker = tracker
    }

    /// As the wrapped state machine's: the checks themselves never block.
    @inlinable public var applyNeverBlocks: Bool { base.applyNeverBlocks }
    /// As the wrapped state machine's.
    @inlinable public var isDurable: Bool { base.isDurable }
    /// Closes the wrapped state machine.
    @inlinable public func close() async { await base.close() }

    /// The wrapped state machine's applied state, checked against what it was seen to apply.
    @inlinable public func appliedState() async throws(StorageError) -> AppliedState<Types> {
        let state = try await base.appliedState()
        let expected: (Bool, LogID?) = tracker.state.withLock { tracked in
            defer {
                tracked.appliedKnown = true
                tracked.lastApplied = state.lastApplied
            }
            return (tracked.appliedKnown, tracked.lastApplied)
        }
        if expected.0 && expected.1 != state.lastApplied {
            throw violation(.appliedStateMismatch(expected: expected.1, reported: state.lastApplied), .stateMachine, .read)
        }
        return state
    }

    @inlinable nonisolated(nonsending) public func apply(_ entries: [Entry<Types>]) async throws(StorageError) -> [Types.Response] {
        let applied: (known: Bool, id: LogID?) = tracker.state.withLock { ($0.appliedKnown, $0.lastApplied) }
        if let first = entries.first, applied.known {
            if first.index <= applied.id.indexOrZero { throw violation(.reapply(lastApplied: applied.id, got: first.logID), .apply(first.logID), .write) }
            if first.index != applied.id.indexOrZero + 1 { throw violation(.applyGap(lastApplied: applied.id, got: first.logID), .apply(first.logID), .write) }
        }
        var previous = entries.first
        for entry in entries.dropFirst() {
            if entry.index != previous!.index + 1 { throw violation(.applyGap(lastApplied: previous!.logID, got: entry.logID), .apply(entry.logID), .write) }
            previous = entry
        }
        let responses = try await base.apply(entries)
        let commands = entries.reduce(0) { count, entry in
            if case .command = entry.payload { return count + 1 }
            return count
        }
        if responses.count != commands {
            throw violation(.responseCountMismatch(commands: commands, responses: responses.count), .stateMachine, .write)
        }
        if let last = entries.last {
            tracker.state.withLock { tracked in
                tracked.appliedKnown = true
                tracked.lastApplied = last.logID
            }
        }
        return responses
    }

    /// Builds a snapshot with the wrapped state machine.
    @inlinable public func buildSnapshot() async throws(StorageError) -> Snapshot<Types> {
        try await base.buildSnapshot()
    }

    /// Installs a snapshot in the wrapped state machine; applies then continue after its last entry.
    @inlinable public func installSnapshot(_ snapshot: Snapshot<Types>) async throws(StorageError) {
        let applied = tracker.state.withLock { $0.lastApplied }
        if snapshot.meta.lastLogID.indexOrZero < applied.indexOrZero {
            throw violation(.snapshotWentBackwards(applied: applied, snapshot: snapshot.meta.lastLogID), .snapshot(id: snapshot.meta.snapshotID), .write)
        }
        try await base.installSnapshot(snapshot)
        tracker.state.withLock { tracked in
            tracked.appliedKnown = true
            tracked.lastApplied = snapshot.meta.lastLogID
        }
    }

    @inlinable public func currentSnapshot() async throws(StorageError) -> Snapshot<Types>? {
        try await base.currentSnapshot()
    }
}
