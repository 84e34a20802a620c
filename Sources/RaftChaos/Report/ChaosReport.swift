import Foundation

/// What a chaos run found: the faults it injected, the operations and their outcomes, and
/// each check's verdict.
public struct ChaosReport: Sendable {
    public struct OperationCounts: Sendable {
        public var ok = 0
        public var fail = 0
        public var unknown = 0
    }

    public var seed: UInt64
    public var replayCommand: String
    public var faults: [FaultKind: Int] = [:]
    public var skippedFaults: [FaultKind: Int] = [:]
    public var snapshotsForced = 0
    /// Forced installs the node was then seen to hold a snapshot from.
    public var snapshotsInstalled = 0
    /// By operation kind: get, put, cas.
    public var operations: [String: OperationCounts] = [:]
    public var linearizability = "not checked"
    public var checkSeconds = 0.0
    /// Seconds from healing to the first acknowledged write, if one came in time.
    public var livenessSeconds: Double?
    /// Problems found, each a line a person can act on; empty means the run passed.
    public var violations: [String] = []
    /// Where the history, schedule and logs were kept (on failure, or when asked).
    public var artifacts: URL?

    public var passed: Bool { violations.isEmpty }

    /// The run as a table, with its verdict and the replay command.
    public var table: String {
        var lines: [String] = []
        lines.append("raft-chaos seed \(seed): \(passed ? "PASSED" : "FAILED")")
        lines.append("")
        lines.append("| fault | injected | skipped |")
        lines.append("| --- | ---: | ---: |")
        for kind in FaultKind.allCases where faults[kind] != nil || skippedFaults[kind] != nil {
            lines.append("| \(kind) | \(faults[kind] ?? 0) | \(skippedFaults[kind] ?? 0) |")
        }
        lines.append("")
        lines.append("| operation | ok | fail | info |")
        lines.append("| --- | ---: | ---: | ---: |")
        var total = OperationCounts()
        for kind in ["get", "put", "cas", "final read"] {
            guard let counts = operations[kind] else { continue }
            lines.append("| \(kind) | \(counts.ok) | \(counts.fail) | \(counts.unknown) |")
            total.ok += counts.ok; total.fail += counts.fail; total.unknown += counts.unknown
        }
        lines.append("| all | \(total.ok) | \(total.fail) | \(total.unknown) |")
        lines.append("")
        lines.append("linearizability: \(linearizability) (checked in \(String(format: "%.2f", checkSeconds)) s)")
        lines.append("snapshot installs forced: \(snapshotsForced), seen installed: \(snapshotsInstalled)")
        lines.append("liveness after healing: " + (livenessSeconds.map { String(format: "first write acknowledged after %.2f s", $0) } ?? "no write acknowledged"))
        if !violations.isEmpty {
            lines.append("")
            lines.append("violations:")
            lines += violations.map { "  - \($0)" }
        }
        if let artifacts { lines.append("artifacts: \(artifacts.path)") }
        lines.append("replay: \(replayCommand)")
        return lines.joined(separator: "\n")
    }
}

extension ChaosReport {
    /// One table over several runs: faults by kind and operations summed, verdicts counted.
    public static func summary(of reports: [ChaosReport]) -> String {
        var faults: [FaultKind: Int] = [:]
        var operations = OperationCounts()
        var passed = 0
        var worstLiveness = 0.0
        var checkSeconds = 0.0
        var snapshotsForced = 0, snapshotsInstalled = 0
        for report in reports {
            snapshotsForced += report.snapshotsForced
            snapshotsInstalled += report.snapshotsInstalled
            faults.merge(report.faults, uniquingKeysWith: +)
            for counts in report.operations.values {
                operations.ok += counts.ok; operations.fail += counts.fail; operations.unknown += counts.unknown
            }
            if report.passed { passed += 1 }
            worstLiveness = max(worstLiveness, report.livenessSeconds ?? .infinity)
            checkSeconds += report.checkSeconds
        }
        var lines = ["all \(reports.count) runs: \(passed) passed, \(reports.count - passed) failed", ""]
        lines.append("| fault | injected |")
        lines.append("| --- | ---: |")
        for kind in FaultKind.allCases where faults[kind] != nil { lines.append("| \(kind) | \(faults[kind]!) |") }
        lines.append("")
        lines.append("operations: \(operations.ok) ok, \(operations.fail) fail, \(operations.unknown) info")
        lines.append("snapshot installs forced: \(snapshotsForced), seen installed: \(snapshotsInstalled)")
        lines.append(String(format: "linearizability checks: %.1f s in all; worst liveness after healing: %.2f s", checkSeconds, worstLiveness))
        return lines.joined(separator: "\n")
    }
}
