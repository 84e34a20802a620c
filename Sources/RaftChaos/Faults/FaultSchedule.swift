import Foundation
import RaftCore

/// Which node a fault hits: named up front, or the leader at the moment it strikes.
public enum FaultTarget: Hashable, Sendable, CustomStringConvertible {
    /// Whichever node leads when the fault begins (a follower if none is known).
    case leader
    /// Node `n` (1-based, as the nodes' ids).
    case node(Int)

    public var description: String {
        switch self {
        case .leader: return "leader"
        case .node(let id): return "n\(id)"
        }
    }
}

/// One fault of an episode, with everything the injector needs to know beforehand.
public struct PlannedFault: Hashable, Sendable, CustomStringConvertible {
    public var kind: FaultKind
    public var target: FaultTarget
    /// For `split`: the minority's other members; for `asymmetric`: the nodes that stop
    /// hearing the target.
    public var others: [Int]
    /// Milliseconds of delay, seconds of clock jump, or the errno of a disk fault (5 EIO,
    /// 28 ENOSPC); 0 where the kind takes none.
    public var parameter: Int
    /// For `disk`: fail file writes (`pwrite`) instead of fsyncs.
    public var onWrite: Bool

    public var description: String {
        var text = "\(kind) \(target)"
        if !others.isEmpty { text += " with \(others.map { "n\($0)" }.joined(separator: ","))" }
        switch kind {
        case .delay: text += " \(parameter)ms"
        case .clockJumps: text += " +\(parameter)s"
        case .disk: text += " \(parameter == 28 ? "ENOSPC" : "EIO") on \(onWrite ? "pwrite" : "fsync")"
        default: break
        }
        return text
    }
}

/// A stretch of the run during which some faults hold; all of them are healed at its end.
public struct FaultEpisode: Hashable, Sendable, CustomStringConvertible {
    /// When it begins, from the start of the workload.
    public var start: Duration
    /// How long its faults hold (procedures such as membership churn may take longer).
    public var length: Duration
    public var faults: [PlannedFault]

    public var description: String {
        "at \(start.chaosSeconds) for \(length.chaosSeconds): " + faults.map(\.description).joined(separator: " + ")
    }
}

/// The fault schedule of a run, drawn from its seed alone: the same seed, kinds, node count
/// and duration give the same schedule (what the cluster does in between depends on real
/// time, so a replay repeats the faults, not every message).
public struct FaultSchedule: Sendable {
    public var episodes: [FaultEpisode]

    /// Draws episodes over `duration`: a quiet start, then a fault (sometimes two on
    /// different nodes) every few seconds, at most `maxImpaired` nodes out of service at
    /// once, each episode followed by a quiet gap in which the cluster may recover.
    public init(seed: UInt64, kinds: Set<FaultKind>, nodeCount: Int, duration: Duration,
                electionTimeout: Duration) {
        var random = SplitMix64(seed: seed ^ 0xC4A0_5EED)
        func below(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }
        func seconds(_ range: ClosedRange<Double>) -> Duration {
            let unit = Double(random.next() >> 11) * 0x1p-53
            return .milliseconds(Int((range.lowerBound + unit * (range.upperBound - range.lowerBound)) * 1000))
        }
        let ordered = kinds.sorted()
        // Kinds are dealt from a shuffled deck, so every kind strikes once before any strikes
        // twice: a short run (CI's 90 s) still sees each of them.
        var deck: [FaultKind] = []
        let maxImpaired = (nodeCount - 1) / 2
        var episodes: [FaultEpisode] = []
        var time = Duration.seconds(2)
        let lastStart = duration - .seconds(4)
        let pauseMinimum = electionTimeout * 2
        while !ordered.isEmpty && time < lastStart {
            var faults: [PlannedFault] = []
            var used = Set<Int>()
            var impaired = 0
            let wanted = below(10) < 3 ? 2 : 1
            while faults.count < wanted {
                // Membership churn, wipes and snapshot installs run procedures of their own;
                // keep them alone.
                if let first = faults.first, first.kind.runsAProcedure { break }
                if deck.isEmpty { deck = ordered.shuffled(using: &random) }
                let fits = { (kind: FaultKind) in
                    !(kind.impairsNode && impaired >= maxImpaired) && !(kind.runsAProcedure && !faults.isEmpty)
                }
                guard let dealt = deck.firstIndex(where: fits) else { break }
                let free = (1...nodeCount).filter { !used.contains($0) }
                guard !free.isEmpty else { break }
                let kind = deck.remove(at: dealt)
                // The leader is the most interesting victim, but only one fault can claim it.
                let target: FaultTarget = !used.contains(0) && below(2) == 0 && kind != .wipe
                    ? .leader : .node(free[below(free.count)])
                var fault = PlannedFault(kind: kind, target: target, others: [], parameter: 0, onWrite: false)
                switch kind {
                case .split:
                    // The target plus up to maxImpaired - 1 others form the minority.
                    let extra = below(maxImpaired)
                    fault.others = Array(free.filter { .node($0) != target }.shuffled(using: &random).prefix(extra))
                case .asymmetric:
                    let count = 1 + below(nodeCount - 1)
                    fault.others = Array((1...nodeCount).filter { .node($0) != target }.shuffled(using: &random).prefix(count)).sorted()
                case .delay:
                    fault.parameter = [20, 50, 100, 250][below(4)]
                case .clockJumps:
                    fault.parameter = 1 + below(10)
                case .disk:
                    fault.parameter = below(2) == 0 ? 5 : 28
                    fault.onWrite = below(2) == 0
                default:
                    break
                }
                if case .node(let id) = target { used.insert(id) } else { used.insert(0) }
                used.formUnion(fault.others)
                if kind.impairsNode { impaired += 1 }
                faults.append(fault)
            }
            var length = seconds(2...8)
            if faults.contains(where: { $0.kind == .pause }) { length = max(length, pauseMinimum) }
            episodes.append(FaultEpisode(start: time, length: length, faults: faults))
            time += length + seconds(1...3)
        }
        self.episodes = episodes
    }
}

extension Duration {
    /// Seconds with one decimal, for tables and logs.
    var chaosSeconds: String {
        let (seconds, attoseconds) = components
        let tenths = Int(attoseconds / 100_000_000_000_000_000)
        return "\(seconds).\(tenths)s"
    }
}
