/// Invocation and completion events ordered by time, in a doubly linked list over arrays.
///
/// The search removes an operation's events when it linearizes the operation and puts them
/// back, in reverse order, when it backtracks. Keeping links in arrays makes both O(1)
/// without per-node allocation, and restoring in LIFO order needs nothing beyond the
/// removed node's own stale links ("dancing links").
struct EventList {
    struct Event {
        var time: UInt64
        var isCall: Bool
        var operation: Int
    }

    /// Node 0 is the head sentinel and the last node the tail sentinel.
    private(set) var next: [Int]
    private(set) var prev: [Int]
    /// The operation index of each node; -1 for the sentinels.
    let operation: [Int]
    /// Whether each node is an invocation; the sentinels are not.
    let isCall: [Bool]
    /// Event times; `UInt64.max` for the sentinels.
    let time: [UInt64]
    /// For invocation nodes, their completion's node.
    private let completion: [Int]

    var first: Int { next[0] }

    /// Builds the list from events in list order; each operation has an invocation followed,
    /// later, by its completion.
    init(_ events: [Event]) {
        let count = events.count + 2
        var operation = [Int](repeating: -1, count: count)
        var isCall = [Bool](repeating: false, count: count)
        var time = [UInt64](repeating: .max, count: count)
        var completion = [Int](repeating: -1, count: count)
        var callNode: [Int: Int] = [:]
        for (offset, event) in events.enumerated() {
            let node = offset + 1
            operation[node] = event.operation
            isCall[node] = event.isCall
            time[node] = event.time
            if event.isCall {
                callNode[event.operation] = node
            } else if let call = callNode[event.operation] {
                completion[call] = node
            }
        }
        self.operation = operation
        self.isCall = isCall
        self.time = time
        self.completion = completion
        self.next = (0..<count).map { $0 + 1 }
        self.prev = (0..<count).map { $0 - 1 }
    }

    /// Removes an invocation node and its completion from the list.
    mutating func lift(call node: Int) {
        unlink(node)
        unlink(completion[node])
    }

    /// Undoes the most recent ``lift(call:)`` that has not been undone yet.
    mutating func unlift(call node: Int) {
        relink(completion[node])
        relink(node)
    }

    private mutating func unlink(_ node: Int) {
        next[prev[node]] = next[node]
        prev[next[node]] = prev[node]
    }

    private mutating func relink(_ node: Int) {
        next[prev[node]] = node
        prev[next[node]] = node
    }
}
