import Raft
import RaftCore

/// Checks a log store and a state machine against the storage contract with one call.
///
/// ```swift
/// let report = await StorageConformance.run(
///     fixtures: .keyValue,
///     makeLogStore: { MemoryLogStore<KVTypes>() },
///     makeStateMachine: { MemoryKVStateMachine() })
/// #expect(report.succeeded, "\(report)")
/// ```
///
/// Every case runs on fresh instances from the factories. Cases that need a reopen closure are
/// skipped without one. The suite checks observable behaviour only: durability across crashes
/// needs fault injection (see the RaftFileStore crash tests for one way to do it), and the
/// protocol-level rules (a vote never goes backwards, nothing is purged past applied) are the
/// runtime's defensive wrapper's job, so a store need not enforce them.
public enum StorageConformance {
    /// Runs every log store and state machine case.
    public static func run<LogStore: RaftLogStorage, StateMachine: RaftStateMachine>(
        fixtures: ConformanceFixtures<LogStore.Types>,
        makeLogStore: @escaping @Sendable () async throws -> LogStore,
        reopenLogStore: (@Sendable (LogStore) async throws -> LogStore)? = nil,
        closeLogStore: (@Sendable (LogStore) async throws -> Void)? = nil,
        makeStateMachine: @escaping @Sendable () async throws -> StateMachine,
        reopenStateMachine: (@Sendable (StateMachine) async throws -> StateMachine)? = nil,
        cases: [ConformanceCase] = ConformanceCase.allCases
    ) async -> ConformanceReport where StateMachine.Types == LogStore.Types {
        let logReport = await runLogStore(fixtures: fixtures, make: makeLogStore, reopen: reopenLogStore,
                                          close: closeLogStore, cases: cases)
        let machineReport = await runStateMachine(fixtures: fixtures, make: makeStateMachine,
                                                  reopen: reopenStateMachine, cases: cases)
        return logReport.merged(with: machineReport)
    }

    /// Runs the log store cases only.
    ///
    /// - Parameters:
    ///   - fixtures: how the cases make commands and addresses of the store's types.
    ///   - make: a new, empty store (for a file store: in a new directory).
    ///   - reopen: shuts the store down cleanly and opens the same storage again.
    ///   - close: releases a store when a case is done with it.
    ///   - cases: the cases to run (all by default); state machine cases are ignored.
    public static func runLogStore<LogStore: RaftLogStorage>(
        fixtures: ConformanceFixtures<LogStore.Types>,
        make: @escaping @Sendable () async throws -> LogStore,
        reopen: (@Sendable (LogStore) async throws -> LogStore)? = nil,
        close: (@Sendable (LogStore) async throws -> Void)? = nil,
        cases: [ConformanceCase] = ConformanceCase.allCases
    ) async -> ConformanceReport {
        let suite = LogStoreCases(entries: EntryFactory(fixtures: fixtures), make: make, reopen: reopen, close: close)
        var report = ConformanceReport()
        for testCase in cases where testCase.isLogStoreCase {
            guard suite.canRun(testCase) else {
                report.skipped.append(testCase)
                continue
            }
            await record(testCase, in: &report) { try await suite.run(testCase) }
        }
        return report
    }

    /// Runs the state machine cases only.
    ///
    /// - Parameters:
    ///   - fixtures: how the cases make commands and addresses of the state machine's types.
    ///   - make: a new state machine that has applied nothing.
    ///   - reopen: shuts the state machine down cleanly and opens it again from its storage.
    ///   - cases: the cases to run (all by default); log store cases are ignored.
    public static func runStateMachine<StateMachine: RaftStateMachine>(
        fixtures: ConformanceFixtures<StateMachine.Types>,
        make: @escaping @Sendable () async throws -> StateMachine,
        reopen: (@Sendable (StateMachine) async throws -> StateMachine)? = nil,
        cases: [ConformanceCase] = ConformanceCase.allCases
    ) async -> ConformanceReport {
        let suite = StateMachineCases(entries: EntryFactory(fixtures: fixtures), make: make, reopen: reopen)
        var report = ConformanceReport()
        for testCase in cases where !testCase.isLogStoreCase {
            guard suite.canRun(testCase) else {
                report.skipped.append(testCase)
                continue
            }
            await record(testCase, in: &report) { try await suite.run(testCase) }
        }
        return report
    }

    private static func record(_ testCase: ConformanceCase, in report: inout ConformanceReport,
                               _ body: () async throws -> Void) async {
        do {
            try await body()
            report.passed.append(testCase)
        } catch let violation as ConformanceViolation {
            report.failures.append(.init(testCase: testCase, message: violation.description))
        } catch {
            report.failures.append(.init(testCase: testCase, message: "unexpected error: \(error)"))
        }
    }
}
