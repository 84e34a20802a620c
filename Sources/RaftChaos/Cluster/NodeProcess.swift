import Foundation
import Synchronization

/// One `raft-kv serve` child process: started, signalled and reaped by the harness.
///
/// The process's standard output and error go to a log file of its own (appended across
/// restarts, each start marked), so a failed run keeps every node's whole story.
final class NodeProcess: Sendable {
    /// How a process ended.
    enum Exit: Hashable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        var description: String {
            switch self {
            case .exited(let code): return "exit \(code)"
            case .signalled(let signal): return "signal \(signal)"
            }
        }
    }

    /// Why the harness expects the process to end, set before it signals it; an exit
    /// without one is a death the run reports.
    enum ExpectedEnd: Hashable, Sendable {
        case killed
        case stopped
        /// Injected disk faults: the node must stop on its own, with a storage error.
        case diskFault
    }

    let pid: Int32
    private let process: Process
    private let state = StateBox()

    /// Shared with the termination handler, which outlives no one but must not hold `self`.
    private final class StateBox: Sendable {
        let mutex = Mutex(State())
        func withLock<R>(_ body: (inout State) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    fileprivate struct State {
        var exit: Exit?
        var expectedEnd: ExpectedEnd?
    }

    /// Starts `arguments[0]` with the rest as its arguments.
    init(arguments: [String], environment: [String: String], logFile: URL, banner: String) throws {
        precondition(!arguments.isEmpty, "a process needs an executable")
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        log.write(Data("==== \(banner): \(arguments.joined(separator: " "))\n".utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        self.process = process
        try process.run()
        pid = process.processIdentifier
        try? log.close()
        let state = self.state
        process.terminationHandler = { ended in
            let exit: Exit = ended.terminationReason == .uncaughtSignal
                ? .signalled(ended.terminationStatus) : .exited(ended.terminationStatus)
            state.withLock { $0.exit = exit }
        }
    }

    /// The exit, once the process has ended.
    var exit: Exit? { state.withLock { $0.exit } }

    /// Why the harness expected the end, if it did.
    var expectedEnd: ExpectedEnd? { state.withLock { $0.expectedEnd } }

    /// Marks the coming end as the harness's doing (or, for disk faults, as expected).
    func expect(_ end: ExpectedEnd) { state.withLock { $0.expectedEnd = end } }

    /// Sends a signal; a process that already ended is left alone.
    func signal(_ signal: Int32) {
        if exit == nil { kill(pid, signal) }
    }

    /// Waits for the process to end, at most `timeout`; nil when it is still running.
    func waitForExit(timeout: Duration) async -> Exit? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let exit { return exit }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exit
    }
}
