import Foundation
import Raft
import RaftCore
import RaftFileStore
import Synchronization
import Testing

/// A real process appending through the real file system is killed with SIGKILL mid-append,
/// three times in a row; every index it reported durable must be there, intact, after each.
@Suite struct ProcessKillTests {
    /// The helper is built next to the test bundle (it is a dependency of this test target).
    static var helperPath: String? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let path = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("raft-filestore-crash-helper").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    @Test func sigkillNeverLosesAcknowledgedEntries() async throws {
        let helper = try #require(Self.helperPath, "raft-filestore-crash-helper is not built next to the tests")
        let directory = TemporaryDirectory("sigkill")
        defer { directory.remove() }
        var acknowledgedSoFar: LogIndex = 0
        for round in 0..<3 {
            let output = OutputCollector()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: helper)
            process.arguments = [directory.path, "16"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            output.drain(pipe.fileHandleForReading)

            // Let it get well into appending, then kill it without warning.
            let target = acknowledgedSoFar + 500
            let deadline = ContinuousClock.now + .seconds(20)
            while output.maxAcknowledged < target && ContinuousClock.now < deadline && process.isRunning {
                try await Task.sleep(for: .milliseconds(5))
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            await output.waitForEnd()
            #expect(process.terminationReason == .uncaughtSignal, "round \(round): \(output.lines.suffix(3))")
            let acknowledged = output.maxAcknowledged
            guard acknowledged >= target else {
                Issue.record("round \(round): only \(acknowledged) acknowledged; output: \(output.lines.prefix(3))")
                return
            }

            let store = try FileLogStore<KVTypes>(directory: directory.path)
            let state = try await store.logState()
            #expect(state.lastLogID.indexOrZero >= acknowledged, "round \(round): log ends at \(state.lastLogID.indexOrZero), \(acknowledged) was acknowledged")
            let entries = try await store.entries(in: 1..<(acknowledged + 1))
            #expect(entries.map(\.index) == Array(1...acknowledged), "round \(round)")
            for entry in entries {
                guard case .command(.put(let key, _)) = entry.payload, key == "key-\(entry.index)" else {
                    Issue.record("round \(round): entry \(entry.index) has the wrong payload")
                    break
                }
            }
            await store.close()
            acknowledgedSoFar = acknowledged
        }
    }
}

/// Reads the helper's stdout on a plain thread (reads block) and tracks the highest "ack".
final class OutputCollector: Sendable {
    private struct State {
        var pending = ""
        var lines: [String] = []
        var maxAcknowledged: LogIndex = 0
        var ended = false
    }

    private let state = Mutex(State())

    var maxAcknowledged: LogIndex { state.withLock { $0.maxAcknowledged } }
    var lines: [String] { state.withLock { $0.lines } }

    func drain(_ handle: FileHandle) {
        Thread.detachNewThread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                self.consume(String(decoding: data, as: UTF8.self))
            }
            self.state.withLock { $0.ended = true }
        }
    }

    private func consume(_ text: String) {
        state.withLock { state in
            state.pending += text
            while let newline = state.pending.firstIndex(of: "\n") {
                let line = String(state.pending[..<newline])
                state.pending.removeSubrange(...newline)
                state.lines.append(line)
                if line.hasPrefix("ack "), let index = LogIndex(line.dropFirst(4)) {
                    state.maxAcknowledged = max(state.maxAcknowledged, index)
                }
            }
        }
    }

    func waitForEnd() async {
        while !state.withLock({ $0.ended }) {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
}

@Suite struct DirectoryLockTests {
    /// Two stores writing one directory would interleave segments; the second open must fail.
    @Test func secondOpenOfALiveDirectoryFails() async throws {
        let directory = TemporaryDirectory("lock")
        defer { directory.remove() }
        let store = try FileLogStore<KVTypes>(directory: directory.path)
        #expect(throws: StorageError.self) { try FileLogStore<KVTypes>(directory: directory.path) }
        await store.close()
        let reopened = try FileLogStore<KVTypes>(directory: directory.path)
        await reopened.close()
    }
}
