/// The outcome of ``StorageConformance`` runs: which cases passed, failed or were skipped.
public struct ConformanceReport: Sendable, CustomStringConvertible {
    /// A failed case with the first violated expectation (or the unexpected error).
    public struct Failure: Sendable, Hashable, CustomStringConvertible {
        /// The case that failed.
        public var testCase: ConformanceCase
        /// The first violated expectation, or the unexpected error.
        public var message: String

        public var description: String { "\(testCase): \(message)" }
    }

    /// Cases that passed, in the order they ran.
    public internal(set) var passed: [ConformanceCase] = []
    /// Cases that failed, with why.
    public internal(set) var failures: [Failure] = []
    /// Cases that need a capability the caller did not provide (a reopen closure).
    public internal(set) var skipped: [ConformanceCase] = []

    /// An empty report.
    public init() {}

    /// True when no case failed (skipped cases do not count as failures).
    public var succeeded: Bool { failures.isEmpty }

    public var description: String {
        var lines = ["storage conformance: \(passed.count) passed, \(failures.count) failed, \(skipped.count) skipped"]
        lines += failures.map { "  FAILED \($0)" }
        lines += skipped.map { "  skipped \($0)" }
        return lines.joined(separator: "\n")
    }

    /// Combines the reports of two runs (a log store run and a state machine run).
    public func merged(with other: ConformanceReport) -> ConformanceReport {
        var result = self
        result.passed += other.passed
        result.failures += other.failures
        result.skipped += other.skipped
        return result
    }
}
