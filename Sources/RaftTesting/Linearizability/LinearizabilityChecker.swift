#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Decides whether a concurrent history could have come from an atomic object described by
/// `Model`.
///
/// Splits the history into the model's partitions and searches each separately
/// (P-compositionality, Horn & Kroening 2015): the search is exponential in the number of
/// concurrent operations it must interleave, and splitting keeps that number small. A quick
/// pass on the calling thread gives each partition a few thousand steps; the partitions it
/// leaves undecided are searched up to ``parallelism`` at once, on threads of their own, and
/// the first violation found ends the others' searches: it decides the history.
///
/// The cost grows with the number of operations that overlap in time, and every unknown
/// outcome that the model cannot simplify away overlaps with everything after it. Finding a
/// linearization is usually quick; proving there is none means ruling out every ordering of
/// what precedes the anomaly, which is where the limits matter. A check gives up on a
/// partition when it has used ``maxStepsPerPartition`` steps, when ``timeLimit`` has passed,
/// or when the caller cancels; the verdict is then unknown, with the reason, never
/// "linearizable".
///
/// ```swift
/// var history = History<KVModel<String, String>.Input, KVModel<String, String>.Output>()
/// let id = history.invoke(client: 1, input: .write("x", "1"), at: now)
/// // ... later, when the client hears back:
/// history.complete(id, outcome: .ok(.written), at: now)
/// let checker = LinearizabilityChecker(model: KVModel<String, String>(), timeLimit: .seconds(60))
/// let result = checker.check(history)       // or `await checker.check(history)` in a task
/// if let violation = result.violation { print(violation) }
/// print(result.steps, result.partitions)   // the work each partition's search did
/// ```
///
/// How a Jepsen-style history (`:invoke`, `:ok`, `:fail`, `:info`) maps onto a model's
/// operations is in `Sources/RaftTesting/Linearizability/README.md`.
public struct LinearizabilityChecker<Model: LinearizabilityModel>: Sendable {
    /// One recorded operation of the model's object.
    public typealias Operation = HistoryOperation<Model.Input, Model.Output>

    /// The sequential specification histories are checked against.
    public var model: Model
    /// How many search steps one partition may take before it is given up as undecided.
    /// A step tries one candidate operation or undoes one; well-behaved partitions need a
    /// small multiple of their size. A million steps take well under a second optimized.
    public var maxStepsPerPartition: Int
    /// Wall-clock time one check may take; partitions not decided by then are reported
    /// undecided with ``UndecidedReason/deadline``. `nil` for no limit. A time limit makes
    /// the verdict depend on the machine, so deterministic runs leave it `nil`.
    public var timeLimit: Duration?
    /// How many partitions are searched at once. With 1, or a history of one partition, the
    /// check runs on the calling thread and starts no other, and partitions are searched in
    /// order of their first invocation, so the violation reported is always the same one:
    /// what a deterministic simulation wants.
    public var parallelism: Int

    /// The processors online: the default ``parallelism``.
    public static var availableProcessors: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// A checker for `model` with a budget of `maxStepsPerPartition` search steps per
    /// partition, an optional time limit for the whole check, and up to `parallelism`
    /// partitions searched at once.
    public init(
        model: Model,
        maxStepsPerPartition: Int = 1_000_000,
        timeLimit: Duration? = nil,
        parallelism: Int = availableProcessors
    ) {
        precondition(maxStepsPerPartition > 0, "the search budget must be positive")
        precondition(parallelism > 0, "at least one partition must be searched at a time")
        if let timeLimit { precondition(timeLimit >= .zero, "the time limit must not be negative") }
        self.model = model
        self.maxStepsPerPartition = maxStepsPerPartition
        self.timeLimit = timeLimit
        self.parallelism = parallelism
    }

    /// Checks a recorded history; operations still open count as `.unknown`.
    public func check(_ history: History<Model.Input, Model.Output>) -> LinearizabilityResult<Model> {
        check(history.operations, cancellation: nil)
    }

    /// Checks operations recorded in any order.
    public func check(_ operations: [Operation]) -> LinearizabilityResult<Model> {
        check(operations, cancellation: nil)
    }

    /// Checks operations recorded in any order, giving up as soon as `cancellation` is
    /// cancelled (from any thread).
    public func check(_ operations: [Operation], cancellation: CheckCancellation?) -> LinearizabilityResult<Model> {
        let clock = ContinuousClock()
        let start = clock.now
        let control = SearchControl(deadline: timeLimit.map { start + $0 }, cancellation: cancellation)
        let work = partitions(of: operations)
        var found = [PartitionFinding<Model>?](repeating: nil, count: work.count)

        if parallelism <= 1 || work.count <= 1 {
            for index in work.indices {
                let finding = search(work[index], control: control, maxSteps: maxStepsPerPartition)
                found[index] = finding
                if finding.violation != nil { break }
            }
            return result(work: work, found: found, elapsed: clock.now - start)
        }

        // A quick pass on this thread decides most partitions, and finds a violation that is
        // quick to find even behind a partition that never ends; only the partitions it
        // leaves undecided are searched again, concurrently, so a small history starts no
        // thread at all.
        let quickSteps = min(Self.quickPassSteps, maxStepsPerPartition)
        var hard: [Int] = []
        for index in work.indices {
            let finding = search(work[index], control: control, maxSteps: quickSteps)
            found[index] = finding
            if finding.violation != nil {
                // The history is decided: the partitions put off are left, not undecided.
                for put in hard { found[put]?.stop = .abandoned }
                return result(work: work, found: found, elapsed: clock.now - start)
            }
            if case .stepBudget? = finding.stop, quickSteps < maxStepsPerPartition { hard.append(index) }
        }
        let quickPass = found
        if hard.count == 1 {
            found[hard[0]] = search(work[hard[0]], control: control, maxSteps: maxStepsPerPartition)
        } else if hard.count > 1 {
            let hard = hard
            let shared = SharedFindings<Model>(count: hard.count)
            let searchUntaken: @Sendable () -> Int = {
                var searched = 0
                while let taken = shared.take() {
                    let finding = search(work[hard[taken]], control: control, maxSteps: maxStepsPerPartition)
                    if finding.violation != nil { control.reportViolation() }
                    shared.store(finding, at: taken)
                    searched += 1
                }
                return searched
            }
            // Helpers are not joined: one that starts after the work is gone finds none and
            // ends by itself.
            for _ in 1..<min(parallelism, hard.count) {
                SearchThreads.detach { shared.finished(searchUntaken()) }
            }
            shared.finished(searchUntaken())
            shared.waitUntilAllStored()
            for (taken, finding) in shared.findings.enumerated() { found[hard[taken]] = finding }
        }
        // The steps of the quick pass were taken too.
        for index in hard {
            found[index]?.steps += quickPass[index]?.steps ?? 0
        }
        return result(work: work, found: found, elapsed: clock.now - start)
    }

    /// Checks a recorded history without holding a thread of the task's executor (the search
    /// runs on threads of its own) and gives up when the task is cancelled.
    public func check(_ history: History<Model.Input, Model.Output>) async -> LinearizabilityResult<Model> {
        await check(history.operations)
    }

    /// Checks operations recorded in any order without holding a thread of the task's
    /// executor, giving up when the task is cancelled.
    public func check(_ operations: [Operation]) async -> LinearizabilityResult<Model> {
        let cancellation = CheckCancellation()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                SearchThreads.detach {
                    continuation.resume(returning: check(operations, cancellation: cancellation))
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Groups operations by partition, each group sorted by invocation, groups ordered by
    /// their first invocation (not by hash order, which varies between runs).
    private func partitions(of operations: [Operation]) -> [(key: Model.PartitionKey, operations: [Operation])] {
        let sorted = operations.sorted { lhs, rhs in
            (lhs.invokedAt, lhs.id) < (rhs.invokedAt, rhs.id)
        }
        var slot: [Model.PartitionKey: Int] = [:]
        var groups: [(key: Model.PartitionKey, operations: [Operation])] = []
        for operation in sorted {
            let key = model.partition(of: operation.input)
            if let index = slot[key] {
                groups[index].operations.append(operation)
            } else {
                slot[key] = groups.count
                groups.append((key, [operation]))
            }
        }
        return groups
    }

    /// Steps each partition gets in the quick pass of a concurrent check.
    static var quickPassSteps: Int { 4_096 }

    private func search(
        _ partition: (key: Model.PartitionKey, operations: [Operation]), control: SearchControl, maxSteps: Int
    ) -> PartitionFinding<Model> {
        if let reason = control.stopReason() {
            return PartitionFinding(stop: reason, steps: 0, searched: 0)
        }
        let relevant = partition.operations.filter { operation in
            if case .fail = operation.outcome { return false }
            return true
        }
        let searched = model.simplify(partition: relevant)
            .filter { operation in
                if case .fail = operation.outcome { return false }
                return true
            }
            .sorted { lhs, rhs in (lhs.invokedAt, lhs.id) < (rhs.invokedAt, rhs.id) }
        let search = PartitionSearch(
            model: model,
            operations: searched,
            initialState: model.initialState(for: partition.key),
            maxSteps: maxSteps,
            control: control)
        let (verdict, steps) = search.run()
        switch verdict {
        case .linearizable:
            return PartitionFinding(steps: steps, searched: searched.count)
        case .stopped(let reason):
            return PartitionFinding(stop: reason, steps: steps, searched: searched.count)
        case .violation(let path, let blocking):
            let violation = LinearizabilityViolation(
                model: model, partition: partition.key, recorded: partition.operations, searched: searched,
                path: path, blocking: blocking)
            return PartitionFinding(violation: violation, steps: steps, searched: searched.count)
        }
    }

    private func result(
        work: [(key: Model.PartitionKey, operations: [Operation])],
        found: [PartitionFinding<Model>?],
        elapsed: Duration
    ) -> LinearizabilityResult<Model> {
        var outcomes: [PartitionOutcome<Model.PartitionKey>] = []
        var violation: LinearizabilityViolation<Model>?
        var undecided: [(key: Model.PartitionKey, reason: UndecidedReason)] = []
        for (index, partition) in work.enumerated() {
            // A partition no search reached was left because a violation decided the history.
            let finding = found[index] ?? PartitionFinding(stop: .abandoned, steps: 0, searched: 0)
            let status: PartitionOutcome<Model.PartitionKey>.Status
            if let found = finding.violation {
                status = .notLinearizable
                if violation == nil { violation = found }
            } else if let stop = finding.stop {
                switch stop {
                case .abandoned: status = .abandoned
                case .stepBudget: status = .undecided(.stepBudget)
                case .deadline: status = .undecided(.deadline)
                case .cancelled: status = .undecided(.cancelled)
                }
                if case .undecided(let reason) = status { undecided.append((partition.key, reason)) }
            } else {
                status = .linearizable
            }
            outcomes.append(
                PartitionOutcome(partition: partition.key, status: status, steps: finding.steps, operations: finding.searched))
        }
        let verdict: LinearizabilityResult<Model>.Verdict
        if let violation {
            verdict = .notLinearizable(violation)
        } else if !undecided.isEmpty {
            let reasons = Set(undecided.map(\.reason))
            let reason: UndecidedReason =
                reasons.contains(.cancelled) ? .cancelled : reasons.contains(.deadline) ? .deadline : .stepBudget
            verdict = .unknown(partitions: undecided.map(\.key), reason: reason)
        } else {
            verdict = .linearizable
        }
        return LinearizabilityResult(verdict: verdict, partitions: outcomes, elapsed: elapsed)
    }
}

/// What one partition's search found.
struct PartitionFinding<Model: LinearizabilityModel>: Sendable {
    var violation: LinearizabilityViolation<Model>?
    var stop: SearchStop?
    var steps: Int
    var searched: Int

    init(violation: LinearizabilityViolation<Model>? = nil, stop: SearchStop? = nil, steps: Int, searched: Int) {
        self.violation = violation
        self.stop = stop
        self.steps = steps
        self.searched = searched
    }
}
