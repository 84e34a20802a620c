import RaftCore

/// Log matching (Raft §5.3): two entries with the same log id hold the same payload and
/// follow the same predecessor, so logs that share a log id share the whole prefix up to it.
///
/// Checked by induction on every append any disk receives: the registry remembers, per log
/// id, the payload's fingerprint and the id of the entry before it.
struct LogMatchingChecker {
    private struct Record {
        var payload: UInt64
        var previous: LogID?
        var config: MembershipConfig?
    }

    private var registry: [LogID: Record] = [:]
    /// Every membership entry ever appended, in first-append order (the fault atlas reads it).
    private(set) var memberships: [(logID: LogID, config: MembershipConfig)] = []

    /// Records that a node appended `entry` right after `previous`.
    mutating func observeAppend(_ entry: SimEntry, after previous: LogID?, node: NodeID) -> SimulationViolation? {
        let payload = fnv1a(entry.canonicalPayload)
        if let known = registry[entry.logID] {
            if known.payload != payload {
                return SimulationViolation(property: "log matching", detail: "node \(node) holds \(entry.logID) with payload \(entry.canonicalPayload), which differs from the first copy seen")
            }
            if known.previous != previous {
                return SimulationViolation(property: "log matching", detail: "node \(node) holds \(entry.logID) after \(describe(previous)); another log has it after \(describe(known.previous))")
            }
            return nil
        }
        if let previous, previous.index + 1 != entry.index {
            return SimulationViolation(property: "log matching", detail: "node \(node) appended \(entry.logID) after \(previous)")
        }
        registry[entry.logID] = Record(payload: payload, previous: previous, config: entry.membership?.config)
        if let membership = entry.membership { memberships.append((entry.logID, membership.config)) }
        return nil
    }

    func payloadFingerprint(of id: LogID) -> UInt64? { registry[id]?.payload }

    func config(of id: LogID) -> MembershipConfig? { registry[id]?.config }
}
