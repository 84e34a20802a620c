import Synchronization

/// What the defensive wrappers of one node remember about its storage, shared by the log
/// wrapper and the state-machine wrapper so cross checks (no purge beyond applied) work.
final class DefensiveTracker: Sendable {
    struct State {
        var logState: LogState?
        var vote: Vote?
        var committed: LogID?
        var lastApplied: LogID?
        var appliedKnown = false
    }

    let state = Mutex(State())
    let leaderIDMode: LeaderIDMode

    init(leaderIDMode: LeaderIDMode) {
        self.leaderIDMode = leaderIDMode
    }
}

/// Wraps a log store and a state machine with checks of every call against the storage
/// contract, failing with a ``StorageError`` that carries the ``DefensiveViolation``.
///
/// For tests and for validating a new storage implementation; it costs a lock and a few
/// comparisons per call.
public enum DefensiveChecks {
    public static func wrap<Types: RaftTypeConfig>(
        logStore: any RaftLogStorage<Types>, stateMachine: any RaftStateMachine<Types>, leaderIDMode: LeaderIDMode = .advanced
    ) -> (logStore: DefensiveLogStorage<Types>, stateMachine: DefensiveStateMachine<Types>) {
        let tracker = DefensiveTracker(leaderIDMode: leaderIDMode)
        return (DefensiveLogStorage(base: logStore, tracker: tracker), DefensiveStateMachine(base: stateMachine, tracker: tracker))
    }
}

func violation(_ kind: DefensiveViolation, _ subject: StorageError.Subject, _ verb: StorageError.Verb) -> StorageError {
    StorageError(subject: subject, verb: verb, reason: "defensive check failed: \(kind)", violation: kind)
}
