import Foundation

/// The kinds of fault a chaos run injects. Each can be left out of a run
/// (`--faults all,-clock-jumps`), so a failure can be narrowed down to the faults it needs.
public enum FaultKind: String, CaseIterable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// A node cut off from all others, both ways.
    case isolate
    /// The nodes split into a minority and a majority.
    case split
    /// One-way cuts: some nodes cannot hear some others, who still hear them.
    case asymmetric
    /// Every byte to and from a node delayed.
    case delay
    /// A node cut off until the leader has compacted its log past it, so it heals by an
    /// installed snapshot.
    case snapshotInstall = "snapshot-install"
    /// `kill -9`, then a restart from the data directory.
    case kill
    /// SIGSTOP for longer than the election timeout, then SIGCONT.
    case pause
    /// The leader hands leadership to another voter.
    case transfer
    /// A voter removed, added back as a learner, and promoted.
    case membership
    /// A node's data directory wiped and the node re-admitted by the documented recovery
    /// procedure (started as storage-lost, caught up, voting resumed).
    case wipe
    /// EIO or ENOSPC on the node's file writes or fsyncs (libfiu): it must stop with a
    /// storage error, and is then restarted from what its disk kept.
    case disk
    /// The node's wall clock jumps forward (libfaketime), as when NTP steps it; its
    /// monotonic clock runs on (a stalled machine is what `pause` gives).
    case clockJumps = "clock-jumps"

    public var description: String { rawValue }

    public static func < (lhs: FaultKind, rhs: FaultKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Faults that take a node out of service; at most `maxImpaired` nodes are out at once
    /// so a majority keeps working (and keeps its disks, the fault model Raft promises
    /// safety under).
    var impairsNode: Bool {
        switch self {
        case .isolate, .snapshotInstall, .kill, .pause, .wipe, .disk: return true
        case .split, .asymmetric, .delay, .transfer, .membership, .clockJumps: return false
        }
    }

    /// Faults carried out by a procedure of the harness's own (churn, re-admission, waiting
    /// for a compaction), which an episode runs alone.
    var runsAProcedure: Bool {
        self == .membership || self == .wipe || self == .snapshotInstall
    }

    /// Parses `all`, `all,-kind`, or a list of kinds.
    public static func parse(_ text: String) throws -> Set<FaultKind> {
        var kinds = Set<FaultKind>()
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            if part == "all" {
                kinds.formUnion(allCases)
            } else if part == "none" {
                continue
            } else if part.hasPrefix("-"), let kind = FaultKind(rawValue: String(part.dropFirst())) {
                kinds.remove(kind)
            } else if let kind = FaultKind(rawValue: part) {
                kinds.insert(kind)
            } else {
                throw ChaosError.setup("unknown fault '\(part)'; known: all, none, \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        return kinds
    }
}
