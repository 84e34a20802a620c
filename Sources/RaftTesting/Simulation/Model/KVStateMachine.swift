import RaftCore

/// The key-value state machine of one simulated node. It is volatile: a restarted node
/// rebuilds it from its snapshot and re-applies committed entries, as a state machine
/// without its own durability does.
struct KVStateMachine {
    /// The value of each key, indexed by key (keys are `0..<keyCount`).
    var values: [Int?]
    var lastApplied: LogID?
    var membership: StoredMembership<SimTypes> = .empty

    init(keyCount: Int) {
        values = Array(repeating: nil, count: keyCount)
    }

    init(snapshot: StoredSnapshot) {
        values = snapshot.values
        lastApplied = snapshot.meta.lastLogID
        membership = snapshot.meta.lastMembership
    }

    /// Applies one entry; returns the command's result, nil for blank and membership entries.
    mutating func apply(_ entry: SimEntry) -> SimKVResult? {
        lastApplied = entry.logID
        switch entry.payload {
        case .blank:
            return nil
        case .membership(let newMembership):
            membership = StoredMembership(logID: entry.logID, membership: newMembership)
            return nil
        case .command(let command):
            switch command.action {
            case let .put(key, value):
                values[key] = value
                return .written
            case let .compareAndSet(key, expected, new):
                guard values[key] == expected else { return .compareAndSet(succeeded: false) }
                values[key] = new
                return .compareAndSet(succeeded: true)
            }
        }
    }
}

/// A snapshot as stored: its meta and the state machine's values at `meta.lastLogID`.
struct StoredSnapshot {
    var meta: SnapshotMeta<SimTypes>
    var values: [Int?]
}
