import RaftCore

/// The state of the example key-value store: its data plus what it has applied.
///
/// A value type so the in-memory and file-backed state machines share one apply function, and
/// so a snapshot is a cheap copy-on-write copy taken under a lock and encoded outside it.
public struct KVState: Sendable, Equatable, Codable {
    /// The data: every key and its value.
    public private(set) var values: [String: String]
    /// The last entry applied.
    public private(set) var lastApplied: LogID?
    /// The last membership applied (from a membership entry or a snapshot).
    public private(set) var membership: StoredMembership<KVTypes>
    /// The latest responses of each client's ``KVCommand/exactlyOnce(client:sequence:command:)``
    /// requests; part of the replicated state (and of snapshots), so every replica answers a
    /// retry the same way.
    public private(set) var sessions: ClientSessions<KVResponse>

    /// An empty store that has applied nothing.
    public init(sessionLimits: ClientSessions<KVResponse>.Limits = .init()) {
        self.values = [:]
        self.lastApplied = nil
        self.membership = .empty
        self.sessions = ClientSessions(limits: sessionLimits)
    }

    /// The last applied entry and membership, as the node reads them back.
    public var appliedState: AppliedState<KVTypes> {
        AppliedState(lastApplied: lastApplied, membership: membership)
    }

    /// Applies committed entries in order and returns one response per command entry.
    public mutating func apply(_ entries: [Entry<KVTypes>]) -> [KVResponse] {
        var responses: [KVResponse] = []
        responses.reserveCapacity(entries.count)
        for entry in entries {
            switch entry.payload {
            case .blank:
                break
            case .membership(let newMembership):
                membership = StoredMembership(logID: entry.logID, membership: newMembership)
            case .command(let command):
                responses.append(apply(command, at: entry.index))
            }
            lastApplied = entry.logID
        }
        return responses
    }

    private mutating func apply(_ command: KVCommand, at index: LogIndex) -> KVResponse {
        switch command {
        case let .exactlyOnce(client, sequence, command):
            switch sessions.lookUp(client: client, sequence: sequence) {
            case .duplicate(let response): return response
            case .expired: return .requestExpired
            case .new:
                let response = apply(command, at: index)
                sessions.record(response, client: client, sequence: sequence, at: index)
                return response
            }
        case let .put(key, value):
            return .written(previous: values.updateValue(value, forKey: key))
        case .delete(let key):
            return .written(previous: values.removeValue(forKey: key))
        case let .compareAndSet(key, expected, new):
            let current = values[key]
            guard current == expected else { return .compareAndSet(succeeded: false, current: current) }
            values[key] = new
            return .compareAndSet(succeeded: true, current: new)
        case .get(let key):
            return .value(values[key])
        }
    }

    // MARK: Snapshots

    /// What a snapshot's data holds. Versioned so the format can evolve.
    private struct SnapshotPayload: Codable {
        var formatVersion: UInt32
        var lastApplied: LogID?
        var membership: StoredMembership<KVTypes>
        var values: [String: String]
        var sessions: ClientSessions<KVResponse>
    }

    /// 2: with client sessions.
    private static let snapshotFormatVersion: UInt32 = 2

    /// The snapshot data of this state (deterministic: keys are written sorted).
    public func snapshotData() -> [UInt8] {
        let payload = SnapshotPayload(formatVersion: Self.snapshotFormatVersion, lastApplied: lastApplied,
                                      membership: membership, values: values, sessions: sessions)
        do {
            return try BinaryEncoder().encode(payload)
        } catch {
            // Strings, log ids and memberships always encode; a failure is a bug in the codec.
            preconditionFailure("KV snapshot encoding failed: \(error)")
        }
    }

    /// The state a snapshot describes. Its applied state comes from `meta`, which the runtime
    /// trusts; the copy inside the data must agree with it.
    public init(snapshot: Snapshot<KVTypes>) throws(StorageError) {
        let subject = StorageError.Subject.snapshot(id: snapshot.meta.snapshotID)
        let payload: SnapshotPayload
        do {
            payload = try BinaryDecoder().decode(SnapshotPayload.self, from: snapshot.data)
        } catch {
            throw StorageError(subject: subject, verb: .read, reason: "undecodable KV snapshot: \(error)", isCorruption: true)
        }
        guard payload.formatVersion == Self.snapshotFormatVersion else {
            throw StorageError(subject: subject, verb: .read, reason: "unknown KV snapshot version \(payload.formatVersion)")
        }
        guard payload.lastApplied == snapshot.meta.lastLogID, payload.membership == snapshot.meta.lastMembership else {
            throw StorageError(subject: subject, verb: .read, reason: "KV snapshot data disagrees with its metadata", isCorruption: true)
        }
        self.values = payload.values
        self.lastApplied = snapshot.meta.lastLogID
        self.membership = snapshot.meta.lastMembership
        self.sessions = payload.sessions
    }
}
