/// What the search needs to know about one operation.
struct SearchOperation {
    var invokedAt: UInt64
    /// `nil` for an unknown outcome: such an operation has no deadline and may be omitted.
    var completedAt: UInt64?
    /// See ``LinearizabilityModel/overwritesState(_:)``.
    var overwritesState: Bool
    /// Acknowledged, and its output leaves every state that accepts it unchanged (see
    /// ``LinearizabilityModel/leavesStateUnchanged(_:_:)``).
    var readsOnly = false
    /// For unknown operations that overwrite the state, a group shared by those that leave
    /// the same state behind; -1 for all other operations.
    var group: Int = -1

    var isAcknowledged: Bool { completedAt != nil }
}

/// One operation of a linearization found by the search.
struct SearchStep {
    var operation: Int
    var alternative: Int
    var stateAfter: Int
}

/// The outcome of searching one partition, with states as ``StateTable`` ids.
enum SearchVerdict {
    case linearizable
    /// No linearization exists. `path` is the longest sequence of operations the search
    /// managed to linearize, each with the index of the successor it took (among several
    /// an unknown outcome may allow) and the state after it; `blocking` is the acknowledged
    /// operation that could not be fitted after it.
    case violation(path: [SearchStep], blocking: Int?)
    case stopped(SearchStop)
}

/// Wing & Gong's search for a linearization, with Lowe's memoization of explored
/// configurations, over the operations of one partition, with states numbered.
///
/// Iterative with an explicit stack so that long histories cannot overflow the thread stack,
/// and bounded by `maxSteps`, and by what ``SearchControl`` says every few thousand steps
/// (deadline, cancellation, another partition's violation), because the problem is
/// NP-complete: an adversarial history must yield "don't know", not a hung test run.
///
/// In each configuration, the acknowledged operation not yet linearized that completed
/// first (the *deadline*) must be linearized before anything invoked after that completion,
/// so the candidates are the operations invoked no later than it. They are tried in the
/// order of ``Pass``; every candidate is tried before backtracking, so the order only
/// decides how soon a linearization is found, not whether.
///
/// One move needs no alternatives: a candidate that only reads (it leaves every state that
/// accepts it unchanged) and is accepted in the current state. If any linearization goes on
/// from here, one goes on with that read first: moving it to the front changes no other
/// operation's state, and as a candidate nothing has to precede it. So it is linearized at
/// once (a *forced* frame), and when what follows fails, the configuration before it has
/// failed too. Read-heavy histories then cost about one step per read instead of every
/// interleaving of concurrent reads.
struct WGLSearch {
    /// Steps between looks at the clock and the stop flags: a few microseconds of search.
    static let pollInterval = 4096

    private enum Pass {
        /// Acknowledged candidates, in invocation order.
        case acknowledged
        /// Then unknown operations that read the state (a compare-and-set), and finally
        /// unknown ones that overwrite it. Most unknown operations never took effect or
        /// matter only where something observes them, so they come last, and the memo's
        /// dominance rule prunes paths where one was linearized to no effect.
        case unknownReading
        case unknownOverwriting
    }

    /// A linearized operation, with what is needed to undo it and to resume the search
    /// with the next candidate.
    private struct Frame {
        var pass: Pass
        /// Where the operation was found: its invocation node for `.acknowledged`, its
        /// position among the reading candidates of `stateBefore` for `.unknownReading`,
        /// its group for `.unknownOverwriting`.
        var position: Int
        var operation: Int
        var alternative: Int
        var deadline: Int
        var stateBefore: Int
        /// Linearized as a forced read: backtracking past it fails the configuration it
        /// was taken from.
        var forced = false
    }

    private let operations: [SearchOperation]
    private let maxSteps: Int
    private var acknowledgedEvents: EventList
    /// Dense numbers within each kind (acknowledged or unknown), for the bitsets.
    private var number: [Int]
    private var acknowledged: OperationSet
    private var unknown: OperationSet
    private var remainingAcknowledged: Int
    /// Unknown operations that read the state, by invocation.
    private let readingUnknowns: [Int]
    private var isLinearizedReading: [Bool]
    /// For each state id, the reading unknown operations that can take effect there.
    private var readingCandidates: [[Int]?] = []
    /// Members of each overwriting group by invocation, and how many are linearized: any
    /// member can stand in for another (all were invoked already when one is a candidate,
    /// and none has a deadline), so only the first one not yet linearized is ever tried,
    /// which turns k identical timed-out writes from k! orders into one.
    private let groupMembers: [[Int]]
    private var linearizedInGroup: [Int]
    private var memo: SearchMemo
    private var stack: [Frame] = []
    /// Steps taken so far.
    private(set) var steps = 0

    /// `operations` must be sorted by invocation.
    init(operations: [SearchOperation], maxSteps: Int) {
        self.operations = operations
        self.maxSteps = maxSteps
        var events: [EventList.Event] = []
        var readingUnknowns: [Int] = []
        var groupMembers: [[Int]] = []
        var number = [Int](repeating: 0, count: operations.count)
        var unknownCount = 0
        for (index, operation) in operations.enumerated() {
            if let end = operation.completedAt {
                number[index] = events.count / 2
                events.append(.init(time: operation.invokedAt, isCall: true, operation: index))
                events.append(.init(time: end, isCall: false, operation: index))
                continue
            }
            number[index] = unknownCount
            unknownCount += 1
            if operation.group >= 0 {
                while groupMembers.count <= operation.group { groupMembers.append([]) }
                groupMembers[operation.group].append(index)
            } else {
                readingUnknowns.append(index)
            }
        }
        // Invocations sort before completions at equal times so that such operations count
        // as concurrent: the lenient reading, which cannot produce a false violation.
        events.sort { lhs, rhs in
            if lhs.time != rhs.time { return lhs.time < rhs.time }
            if lhs.isCall != rhs.isCall { return lhs.isCall }
            return lhs.operation < rhs.operation
        }
        self.acknowledgedEvents = EventList(events)
        self.number = number
        self.remainingAcknowledged = events.count / 2
        self.acknowledged = OperationSet(capacity: events.count / 2)
        self.unknown = OperationSet(capacity: unknownCount)
        self.readingUnknowns = readingUnknowns
        self.isLinearizedReading = [Bool](repeating: false, count: operations.count)
        self.groupMembers = groupMembers
        self.linearizedInGroup = [Int](repeating: 0, count: groupMembers.count)
        self.memo = SearchMemo(acknowledgedCapacity: events.count / 2, unknownCapacity: unknownCount)
    }

    /// Searches from state 0.
    ///
    /// - Parameters:
    ///   - successor: the state after an acknowledged operation, or `nil` if rejected.
    ///   - unknownSuccessors: the states an unknown operation can leave behind.
    ///   - control: polled every ``pollInterval`` steps.
    mutating func run(
        successor: (_ state: Int, _ operation: Int) -> Int?,
        unknownSuccessors: (_ state: Int, _ operation: Int) -> [Int],
        control: SearchControl?
    ) -> SearchVerdict {
        var state = 0
        // The longest path seen when backtracking, for the report, and how many of its
        // first frames are still on the stack unchanged.
        var deepestPath: [SearchStep] = []
        var deepestBlocking: Int?
        var unchangedPrefix = 0
        var pass = Pass.acknowledged
        var position = acknowledgedEvents.first
        var deadline = firstDeadline()
        var firstAlternative = 0
        // A configuration just entered, where a forced read may apply.
        var entered = true
        // The current configuration is known to fail: backtrack without trying candidates.
        var failed = false

        while remainingAcknowledged > 0 {
            steps += 1
            if steps > maxSteps {
                steps = maxSteps
                return .stopped(.stepBudget)
            }
            if steps % Self.pollInterval == 0, let reason = control?.stopReason() { return .stopped(reason) }

            if entered {
                entered = false
                if let node = forcedRead(in: state, successor) {
                    let index = acknowledgedEvents.operation[node]
                    if let (_, newState) = attempt(
                        index, from: state, startingAt: 0, successor: successor, unknownSuccessors: unknownSuccessors)
                    {
                        stack.append(
                            Frame(
                                pass: .acknowledged, position: node, operation: index, alternative: 0,
                                deadline: deadline, stateBefore: state, forced: true))
                        acknowledgedEvents.lift(call: node)
                        remainingAcknowledged -= 1
                        state = newState
                        position = acknowledgedEvents.first
                        if remainingAcknowledged > 0 { deadline = firstDeadline() }
                        entered = true
                        continue
                    }
                    // Where the read leads was explored before and failed, so this fails.
                    failed = true
                }
            }

            let deadlineTime = acknowledgedEvents.time[deadline]
            var candidate: Int?
            switch failed ? .unknownOverwriting : pass {
            case .acknowledged:
                if acknowledgedEvents.isCall[position] { candidate = acknowledgedEvents.operation[position] }
            case .unknownReading:
                let readable = readingCandidates(of: state, unknownSuccessors)
                while position < readable.count, isLinearizedReading[readable[position]] { position += 1 }
                if position < readable.count, operations[readable[position]].invokedAt <= deadlineTime {
                    candidate = readable[position]
                }
            case .unknownOverwriting:
                // Right after an unknown operation, an overwrite would hide it; the
                // configuration without it covers that move.
                if failed { break }
                if let last = stack.last, last.pass != .acknowledged { break }
                while position < groupMembers.count {
                    let members = groupMembers[position]
                    let next = linearizedInGroup[position]
                    if next < members.count, operations[members[next]].invokedAt <= deadlineTime {
                        candidate = members[next]
                        break
                    }
                    position += 1
                }
            }

            guard let index = candidate else {
                switch failed ? .unknownOverwriting : pass {
                case .acknowledged:
                    pass = .unknownReading
                    position = 0
                    continue
                case .unknownReading:
                    pass = .unknownOverwriting
                    position = 0
                    continue
                case .unknownOverwriting:
                    break
                }
                // Every candidate failed: backtrack.
                if stack.count > deepestPath.count || deepestBlocking == nil {
                    // Only frames pushed since the last record can differ from it.
                    deepestPath.removeSubrange(unchangedPrefix...)
                    for depth in unchangedPrefix..<stack.count {
                        let after = depth + 1 < stack.count ? stack[depth + 1].stateBefore : state
                        deepestPath.append(
                            SearchStep(
                                operation: stack[depth].operation, alternative: stack[depth].alternative,
                                stateAfter: after))
                    }
                    deepestBlocking = acknowledgedEvents.operation[deadline]
                    unchangedPrefix = stack.count
                }
                guard let frame = stack.popLast() else {
                    return .violation(path: deepestPath, blocking: deepestBlocking)
                }
                unchangedPrefix = min(unchangedPrefix, stack.count)
                undo(frame)
                state = frame.stateBefore
                pass = frame.pass
                position = frame.position
                deadline = frame.deadline
                firstAlternative = frame.alternative + 1
                failed = frame.forced
                continue
            }

            let alternative = firstAlternative
            firstAlternative = 0
            guard
                let (chosen, newState) = attempt(
                    index, from: state, startingAt: alternative,
                    successor: successor, unknownSuccessors: unknownSuccessors)
            else {
                position = pass == .acknowledged ? acknowledgedEvents.next[position] : position + 1
                continue
            }
            stack.append(
                Frame(
                    pass: pass, position: position, operation: index, alternative: chosen,
                    deadline: deadline, stateBefore: state))
            switch pass {
            case .acknowledged:
                acknowledgedEvents.lift(call: position)
                remainingAcknowledged -= 1
            case .unknownReading:
                isLinearizedReading[index] = true
            case .unknownOverwriting:
                linearizedInGroup[position] += 1
            }
            state = newState
            pass = .acknowledged
            position = acknowledgedEvents.first
            if remainingAcknowledged > 0 { deadline = firstDeadline() }
            entered = true
        }
        return .linearizable
    }

    /// The invocation node of a candidate that only reads and is accepted in `state`.
    private func forcedRead(in state: Int, _ successor: (Int, Int) -> Int?) -> Int? {
        var node = acknowledgedEvents.first
        while acknowledgedEvents.isCall[node] {
            let operation = acknowledgedEvents.operation[node]
            if operations[operation].readsOnly, successor(state, operation) != nil { return node }
            node = acknowledgedEvents.next[node]
        }
        return nil
    }

    /// Tries to linearize operation `index` next; on success it is recorded in the linearized
    /// sets and the memo, and the chosen alternative and new state are returned.
    private mutating func attempt(
        _ index: Int, from state: Int, startingAt alternative: Int,
        successor: (Int, Int) -> Int?,
        unknownSuccessors: (Int, Int) -> [Int]
    ) -> (alternative: Int, state: Int)? {
        let afterUnknown = stack.last.map { $0.pass != .acknowledged } ?? false
        if operations[index].isAcknowledged {
            guard alternative == 0, !(afterUnknown && operations[index].overwritesState),
                let newState = successor(state, index)
            else { return nil }
            acknowledged.insert(number[index])
            if memo.enter(acknowledged: acknowledged, state: newState, afterUnknown: false, unknown: unknown) {
                return (0, newState)
            }
            acknowledged.remove(number[index])
            return nil
        }
        let successors = unknownSuccessors(state, index)
        unknown.insert(number[index])
        var candidate = alternative
        while candidate < successors.count {
            if memo.enter(acknowledged: acknowledged, state: successors[candidate], afterUnknown: true, unknown: unknown) {
                return (candidate, successors[candidate])
            }
            candidate += 1
        }
        unknown.remove(number[index])
        return nil
    }

    private mutating func undo(_ frame: Frame) {
        switch frame.pass {
        case .acknowledged:
            acknowledgedEvents.unlift(call: frame.position)
            acknowledged.remove(number[frame.operation])
            remainingAcknowledged += 1
        case .unknownReading:
            isLinearizedReading[frame.operation] = false
            unknown.remove(number[frame.operation])
        case .unknownOverwriting:
            linearizedInGroup[frame.position] -= 1
            unknown.remove(number[frame.operation])
        }
    }

    /// The reading unknown operations that can take effect in `state`, by invocation;
    /// computed once per state, because most of them can take effect in few states (a
    /// compare-and-set only where its expected value is current).
    private mutating func readingCandidates(of state: Int, _ unknownSuccessors: (Int, Int) -> [Int]) -> [Int] {
        while readingCandidates.count <= state { readingCandidates.append(nil) }
        if let known = readingCandidates[state] { return known }
        let found = readingUnknowns.filter { !unknownSuccessors(state, $0).isEmpty }
        readingCandidates[state] = found
        return found
    }

    /// The completion node of the acknowledged operation not yet linearized that completed
    /// first; there is one while any acknowledged operation remains.
    private func firstDeadline() -> Int {
        var node = acknowledgedEvents.first
        while acknowledgedEvents.isCall[node] { node = acknowledgedEvents.next[node] }
        return node
    }
}
