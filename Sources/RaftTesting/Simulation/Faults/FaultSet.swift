/// The fault classes a simulation may inject, each switchable on its own.
public struct FaultSet: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    /// A set from its bits (see the static members for each class).
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Messages are dropped.
    public static let loss = FaultSet(rawValue: 1 << 0)
    /// Messages are delivered twice.
    public static let duplication = FaultSet(rawValue: 1 << 1)
    /// Messages take detours and overtake one another.
    public static let reordering = FaultSet(rawValue: 1 << 2)
    /// Latency spikes far above the usual delay.
    public static let delay = FaultSet(rawValue: 1 << 3)
    /// Groups of nodes cut off from each other both ways, then healed.
    public static let partitions = FaultSet(rawValue: 1 << 4)
    /// One-way link failures: A hears B but B does not hear A.
    public static let asymmetricPartitions = FaultSet(rawValue: 1 << 5)
    /// Processes crash and restart from their disk.
    public static let crashes = FaultSet(rawValue: 1 << 6)
    /// A crash loses writes after the last completed sync (any prefix of them survives).
    public static let lostWrites = FaultSet(rawValue: 1 << 7)
    /// A crash tears the last surviving append: a garbage entry follows a partial write.
    public static let tornWrites = FaultSet(rawValue: 1 << 8)
    /// A bit flips in a synced entry or in the vote; checksums detect it.
    public static let bitFlips = FaultSet(rawValue: 1 << 9)
    /// EIO on read or write, and fsync failure: the node stops and must be restarted.
    public static let diskErrors = FaultSet(rawValue: 1 << 10)
    /// A node restarts with an empty data directory.
    public static let wipes = FaultSet(rawValue: 1 << 11)
    /// A node's clock jumps forward or back.
    public static let clockJumps = FaultSet(rawValue: 1 << 12)
    /// A node's clock runs fast or slow (by at most 5 %).
    public static let clockDrift = FaultSet(rawValue: 1 << 13)
    /// Learners are added, promoted, demoted and removed; voters are removed and replaced.
    public static let membership = FaultSet(rawValue: 1 << 14)
    /// Leadership is handed over and elections triggered by hand.
    public static let transfers = FaultSet(rawValue: 1 << 15)
    /// Snapshots by policy and by trigger, log purges, failed snapshot builds.
    public static let snapshots = FaultSet(rawValue: 1 << 16)
    /// Requests held back by the network and delivered much later, once terms have moved on.
    public static let staleMessages = FaultSet(rawValue: 1 << 17)
    /// The leader is cut off without knowing it: a client stays with it and reads, others
    /// write through the leader the rest of the cluster elects.
    public static let deposedLeader = FaultSet(rawValue: 1 << 18)

    /// Groups of classes, by what they break.
    public static let network: FaultSet = [
        .loss, .duplication, .reordering, .delay, .partitions, .asymmetricPartitions, .staleMessages, .deposedLeader,
    ]
    /// Every disk fault.
    public static let storage: FaultSet = [.lostWrites, .tornWrites, .bitFlips, .diskErrors, .wipes]
    /// Every clock fault.
    public static let clocks: FaultSet = [.clockJumps, .clockDrift]
    /// Membership changes, transfers and snapshots.
    public static let operations: FaultSet = [.membership, .transfers, .snapshots]
    /// Every fault class.
    public static let all: FaultSet = [.network, .crashes, .storage, .clocks, .operations]

    /// Every single class with its command-line name, in a fixed order.
    public static let classes: [(name: String, faults: FaultSet)] = [
        ("loss", .loss), ("duplication", .duplication), ("reordering", .reordering), ("delay", .delay),
        ("partitions", .partitions), ("asymmetric", .asymmetricPartitions), ("stale-messages", .staleMessages),
        ("deposed-leader", .deposedLeader), ("crashes", .crashes),
        ("lost-writes", .lostWrites), ("torn-writes", .tornWrites), ("bit-flips", .bitFlips),
        ("disk-errors", .diskErrors), ("wipes", .wipes), ("clock-jumps", .clockJumps), ("clock-drift", .clockDrift),
        ("membership", .membership), ("transfers", .transfers), ("snapshots", .snapshots),
    ]

    /// Every class and group with its command-line name, in a fixed order.
    public static let named: [(name: String, faults: FaultSet)] = classes + [
        ("network", .network), ("storage", .storage), ("clocks", .clocks), ("operations", .operations),
        ("all", .all), ("none", []),
    ]

    /// Parses a comma-separated list of class names; a leading `-` removes a class, so
    /// `all,-wipes` is everything but wiped disks.
    public init(parsing text: String) throws(FaultSetParseError) {
        var result: FaultSet = []
        for rawPart in text.split(separator: ",") {
            let part = rawPart.trimmingWhitespace()
            let removing = part.hasPrefix("-")
            let name = removing ? String(part.dropFirst()) : part
            guard let match = Self.named.first(where: { $0.name == name }) else { throw FaultSetParseError(name: name) }
            if removing { result.subtract(match.faults) } else { result.formUnion(match.faults) }
        }
        self = result
    }

    /// Command-line names of the classes, comma-separated.
    public var description: String {
        if self == .all { return "all" }
        if isEmpty { return "none" }
        return Self.classes.filter { contains($0.faults) }.map(\.name).joined(separator: ",")
    }
}

/// A fault class name that `FaultSet(parsing:)` does not know.
public struct FaultSetParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name that did not parse.
    public var name: String
    /// The name, and every known one.
    public var description: String {
        "unknown fault class '\(name)'; known: " + FaultSet.named.map(\.name).joined(separator: ", ")
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
