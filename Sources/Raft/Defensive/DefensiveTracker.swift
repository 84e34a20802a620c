import Synchronization

/// What the defensive wrappers of one node remember about its storage, shared by the log
/// wrapper and the state-machine wrapper so cross checks (no purge beyond applied) work.
@usableFromInline final class DefensiveTracker: Sendable {
    @usableFromInline struct State {
        @usableFromInline var logState: LogState?
        @usableFromInline var vote: Vote?
        @usableFromInline var committed: LogID?
        @usableFromInline var lastApplied: LogID?
        @usableFromInline var appliedKnown = false

        @inlinable init() {}
    }

    @usableFromInline let state = Mutex(State())
    @usableFromInline let leaderIDMode: LeaderIDMode

    @inlinable init(leaderIDMode: LeaderIDMode) {
        self.leaderIDMode = leaderIDMode
    }
}

/// Wraps a log store and a state machine with checks of every call against the storage
/// contract, failing with a ``StorageError`` that carries the ``DefensiveViolation``.
///
/// For tests and for validating a new storage implementation; it costs a lock and a few
/// comparisons per call.
public enum DefensiveChecks {
    /// Wraps a log store and a state machine of one node so that both report every contract
    /// violation as a `StorageError` carrying a ``DefensiveViolation``. `leaderIDMode` must be the
    /// node's, to compare votes the way its engine does.
    @inlinable public static func wrap<Types: RaftTypeConfig>(
        logStore: any RaftLogStorage<Types>, stateMachine: any RaftStateMachine<Types>, leaderIDMode: LeaderIDMode = .advanced
    ) -> (logStore: DefensiveLogStorage<Types>, stateMachine: DefensiveStateMachine<Types>) {
        let tracker = DefensiveTracker(leaderIDMode: leaderIDMode)
        return (DefensiveLogStorage(base: logStore, tracker: tracker), DefensiveStateMachine(base: stateMachine, tracker: tracker))
    }
}

@inlinable func violation(_ kind: DefensiveViolation, _ subject: StorageError.Subject, _ verb: StorageError.Verb) -> StorageError {
    StorageError(subject: subject, verb: verb, reason: "defensive check failed: \(kind)", violation: kind)
}
