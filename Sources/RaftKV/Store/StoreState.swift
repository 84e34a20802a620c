import Raft
import RaftCore

/// The replicated state of the `raft-kv` store: its data, what it has applied, and the
/// exactly-once sessions of its clients.
struct StoreState: Sendable {
    private(set) var values: [String: String] = [:]
    private var index = KeyIndex()
    private(set) var lastApplied: LogID?
    private(set) var membership: StoredMembership<StoreTypes> = .empty
    private(set) var sessions: ClientSessions<StoreResult>

    init(sessionLimits: ClientSessions<StoreResult>.Limits = .init()) {
        sessions = ClientSessions(limits: sessionLimits)
    }

    var appliedState: AppliedState<StoreTypes> { AppliedState(lastApplied: lastApplied, membership: membership) }

    /// Up to `limit` pairs whose key starts with `prefix`, in key order.
    mutating func list(prefix: String, limit: Int) -> [(key: String, value: String)] {
        let values = self.values
        let keys = index.keys(withPrefix: prefix, limit: limit) { values[$0] != nil }
        return keys.map { ($0, values[$0]!) }
    }

    /// Applies committed entries in order; one result per command entry.
    mutating func apply(_ entries: [Entry<StoreTypes>]) -> [StoreResult] {
        var results: [StoreResult] = []
        results.reserveCapacity(entries.count)
        for entry in entries {
            switch entry.payload {
            case .blank:
                break
            case .membership(let newMembership):
                membership = StoredMembership(logID: entry.logID, membership: newMembership)
            case .command(let command):
                results.append(apply(command, at: entry.logID))
            }
            lastApplied = entry.logID
        }
        return results
    }

    private mutating func apply(_ command: StoreCommand, at logID: LogID) -> StoreResult {
        func result(_ outcome: StoreResult.Outcome) -> StoreResult {
            StoreResult(index: logID.index, term: logID.term, outcome: outcome)
        }
        switch command {
        case let .exactlyOnce(client, sequence, command):
            switch sessions.lookUp(client: client, sequence: sequence) {
            case .duplicate(let first): return first
            case .expired: return result(.requestExpired)
            case .new:
                let first = apply(command, at: logID)
                sessions.record(first, client: client, sequence: sequence, at: logID.index)
                return first
            }
        case let .put(key, value):
            return result(.written(previous: set(key, to: value)))
        case .delete(let key):
            return result(.written(previous: set(key, to: nil)))
        case let .compareAndSet(key, expected, new):
            let current = values[key]
            guard current == expected else { return result(.compareAndSet(succeeded: false, current: current)) }
            set(key, to: new)
            return result(.compareAndSet(succeeded: true, current: new))
        case .transaction(let transaction):
            let holds = transaction.compares.allSatisfy { compare in
                switch compare {
                case let .valueEquals(key, value): return values[key] == value
                case let .exists(key, exists): return (values[key] != nil) == exists
                }
            }
            for operation in holds ? transaction.success : transaction.failure {
                switch operation {
                case let .put(key, value): set(key, to: value)
                case .delete(let key): set(key, to: nil)
                }
            }
            return result(.transaction(succeeded: holds))
        }
    }

    /// Sets or removes `key`; returns the value it replaced.
    @discardableResult
    private mutating func set(_ key: String, to value: String?) -> String? {
        if let value {
            let previous = values.updateValue(value, forKey: key)
            if previous == nil { index.noteCreated(key) }
            return previous
        }
        let previous = values.removeValue(forKey: key)
        if previous != nil { index.noteDeleted() }
        return previous
    }

    // MARK: Snapshots

    /// What a snapshot's data holds. Versioned so the format can evolve.
    private struct SnapshotPayload: Codable {
        var formatVersion: UInt32
        var lastApplied: LogID?
        var membership: StoredMembership<StoreTypes>
        var values: [String: String]
        var sessions: ClientSessions<StoreResult>
    }

    private static let snapshotFormatVersion: UInt32 = 1

    /// The snapshot data of this state (deterministic: the coder writes keys sorted).
    func snapshotData() -> [UInt8] {
        let payload = SnapshotPayload(formatVersion: Self.snapshotFormatVersion, lastApplied: lastApplied,
                                      membership: membership, values: values, sessions: sessions)
        do {
            return try BinaryEncoder().encode(payload)
        } catch {
            // Strings, log ids and memberships always encode; a failure is a bug in the codec.
            preconditionFailure("raft-kv snapshot encoding failed: \(error)")
        }
    }

    /// The state a snapshot describes; its metadata must agree with its data.
    init(snapshot: Snapshot<StoreTypes>) throws(StorageError) {
        let subject = StorageError.Subject.snapshot(id: snapshot.meta.snapshotID)
        let payload: SnapshotPayload
        do {
            payload = try BinaryDecoder().decode(SnapshotPayload.self, from: snapshot.data)
        } catch {
            throw StorageError(subject: subject, verb: .read, reason: "undecodable raft-kv snapshot: \(error)", isCorruption: true)
        }
        guard payload.formatVersion == Self.snapshotFormatVersion else {
            throw StorageError(subject: subject, verb: .read, reason: "unknown raft-kv snapshot version \(payload.formatVersion)")
        }
        guard payload.lastApplied == snapshot.meta.lastLogID, payload.membership == snapshot.meta.lastMembership else {
            throw StorageError(subject: subject, verb: .read, reason: "raft-kv snapshot data disagrees with its metadata", isCorruption: true)
        }
        values = payload.values
        index = KeyIndex(keys: payload.values.keys)
        lastApplied = payload.lastApplied
        membership = payload.membership
        sessions = payload.sessions
    }
}
