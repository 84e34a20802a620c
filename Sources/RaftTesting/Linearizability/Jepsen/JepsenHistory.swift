/// A history recorded in one of Jepsen's two textual forms, with each process's invocation
/// paired with its completion.
///
/// Reads both the EDN form, one map per line
/// (`{:process 6, :type :invoke, :f :append, :key "0", :value "x 6 0 y"}`), and the log form
/// of older Jepsen tests (`INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]`), where lines from
/// other loggers are skipped. An event's time is its line number, so every event has a time
/// of its own and the real-time order is the order of the file.
///
/// How the operations map onto a model's history is the model's business;
/// ``KVModel/operations(fromJepsen:compareAndSetFailureObservedAnotherValue:)`` does it for the
/// key-value model, following the rules in `Linearizability/README.md`.
public struct JepsenHistory: Sendable {
    /// The operations, in invocation order.
    public var operations: [JepsenOperation]

    /// Parses a whole file.
    ///
    /// - Throws: ``JepsenHistoryError`` naming the first line that is not a well-formed event,
    ///   or whose event does not fit the history (a completion without an open invocation, an
    ///   invocation on a process that has one open, a completion of another function).
    public init(parsing text: String) throws(JepsenHistoryError) {
        var operations: [JepsenOperation] = []
        var open: [Int: Int] = [:]
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let event: JepsenEvent?
            do {
                event = try JepsenEvent(line: line)
            } catch {
                throw JepsenHistoryError(line: lineNumber, text: String(line), reason: error.reason)
            }
            guard let event else { continue }
            let time = UInt64(lineNumber)
            func fail(_ reason: String) -> JepsenHistoryError {
                JepsenHistoryError(line: lineNumber, text: String(line), reason: reason)
            }
            if event.type == .invoke {
                if open[event.process] != nil { throw fail("process \(event.process) invokes while an operation of it is open") }
                open[event.process] = operations.count
                operations.append(
                    JepsenOperation(
                        process: event.process, function: event.function, key: event.key,
                        invocationValue: event.value, completion: .pending, completionValue: nil,
                        invokedAt: time, completedAt: nil))
                continue
            }
            guard let index = open.removeValue(forKey: event.process) else {
                throw fail("process \(event.process) completes an operation it did not invoke")
            }
            guard operations[index].function == event.function, operations[index].key == event.key else {
                throw fail("process \(event.process) completes \(event.function), but invoked \(operations[index].function)")
            }
            switch event.type {
            case .ok: operations[index].completion = .ok
            case .fail: operations[index].completion = .fail
            case .info: operations[index].completion = .info
            case .invoke: break
            }
            operations[index].completionValue = event.value
            operations[index].completedAt = time
        }
        self.operations = operations
    }
}

/// One process's operation: its invocation and, if the history has one, its completion.
public struct JepsenOperation: Hashable, Sendable {
    /// How the operation ended, in Jepsen's terms.
    public enum Completion: Hashable, Sendable {
        /// `:ok`: it took effect, and `completionValue` is what it returned.
        case ok
        /// `:fail`: it definitely did not take effect.
        case fail
        /// `:info`: the process cannot tell (a timeout, a crash); it may take effect at any
        /// time after its invocation, or never.
        case info
        /// The history ends before any completion: the same as `:info`.
        case pending
    }

    /// The Jepsen process (a logical client; a crashed process comes back with a new number).
    public var process: Int
    /// The function's name without its colon: `read`, `write`, `cas`, `get`, `put`, `append`.
    public var function: String
    /// The `:key` of EDN maps that have one.
    public var key: JepsenValue?
    /// The `:value` of the invocation (`nil` for reads, `[expected new]` for a cas).
    public var invocationValue: JepsenValue
    /// How it ended.
    public var completion: Completion
    /// The `:value` of the completion, if there is one.
    public var completionValue: JepsenValue?
    /// The invocation's line number.
    public var invokedAt: UInt64
    /// The completion's line number, if there is one.
    public var completedAt: UInt64?
}

/// A line that could not be read as an event, or an event that does not fit the history.
public struct JepsenHistoryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The line's number, from 1.
    public var line: Int
    /// The line as written.
    public var text: String
    /// What is wrong with it.
    public var reason: String

    /// `line N: reason: text`.
    public var description: String {
        "line \(line): \(reason): \(text)"
    }
}

/// One line of a history: an invocation or a completion.
struct JepsenEvent {
    enum EventType: String {
        case invoke, ok, fail, info
    }

    var process: Int
    var type: EventType
    var function: String
    var key: JepsenValue?
    var value: JepsenValue

    /// `nil` for a line that is not an event (blank, or another logger's line in the log form).
    init?(line: Substring) throws(JepsenReadError) {
        let trimmed = line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
        if trimmed.isEmpty { return nil }
        if trimmed.first == "{" {
            try self.init(map: trimmed)
            return
        }
        guard let marker = trimmed.firstRange(of: "jepsen.util - ") else { return nil }
        try self.init(logFields: trimmed[marker.upperBound...])
    }

    private init(map text: Substring) throws(JepsenReadError) {
        var reader = EDNReader(text)
        let map = try reader.readMap()
        reader.skipSpace()
        guard reader.atEnd else { throw JepsenReadError("text follows the map") }
        guard case .integer(let process)? = map["process"] else { throw JepsenReadError("no integer :process") }
        guard case .keyword(let type)? = map["type"], let eventType = EventType(rawValue: type) else {
            throw JepsenReadError(":type is not :invoke, :ok, :fail or :info")
        }
        guard case .keyword(let function)? = map["f"] else { throw JepsenReadError("no keyword :f") }
        self.init(process: process, type: eventType, function: function, key: map["key"], value: map["value"] ?? .none)
    }

    /// `process \t :type \t :f \t value`, as jepsen.util logs it.
    private init(logFields text: Substring) throws(JepsenReadError) {
        let fields = text.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count == 4 else { throw JepsenReadError("expected process, type, function and value separated by tabs") }
        guard let process = Int(fields[0].filter { $0 != " " }) else { throw JepsenReadError("the process is not a number") }
        var typeReader = EDNReader(fields[1])
        var functionReader = EDNReader(fields[2])
        var valueReader = EDNReader(fields[3])
        guard case .keyword(let type) = try typeReader.readValue(), let eventType = EventType(rawValue: type) else {
            throw JepsenReadError("the type is not :invoke, :ok, :fail or :info")
        }
        guard case .keyword(let function) = try functionReader.readValue() else { throw JepsenReadError("the function is not a keyword") }
        let value = try valueReader.readValue()
        valueReader.skipSpace()
        guard valueReader.atEnd else { throw JepsenReadError("text follows the value") }
        self.init(process: process, type: eventType, function: function, key: nil, value: value)
    }

    private init(process: Int, type: EventType, function: String, key: JepsenValue?, value: JepsenValue) {
        self.process = process
        self.type = type
        self.function = function
        self.key = key
        self.value = value
    }
}
