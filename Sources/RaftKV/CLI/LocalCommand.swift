import ArgumentParser
import Foundation
import UnixSignals
import Synchronization

/// `raft-kv local`: a cluster of `serve` child processes on this machine, data on disk.
///
/// Node i listens on 127.0.0.1 at `--raft-port` + i - 1 and `--http-port` + i - 1 and keeps
/// its data in `node-<i>/` under `--data-dir`; the first run forms the cluster (`--init`),
/// later runs restart the nodes from their data.
public struct LocalCommand: AsyncParsableCommand {
    /// The subcommand's name and help text.
    public static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Run a cluster on this machine: one `raft-kv serve` process per node, data on disk.",
        discussion: "A second run restarts the nodes from their data. Ctrl-C stops them cleanly.")

    @Option(help: "How many nodes.") var nodes = 3
    @Option(name: .customLong("data-dir"), help: "Where each node keeps its data (node-<id>/ inside).") var dataDirectory = "./raft-kv-data"
    @Option(name: .customLong("raft-port"), help: "Node 1's Raft port; node i uses this + i - 1.") var raftPort = 7001
    @Option(name: .customLong("http-port"), help: "Node 1's HTTP port; node i uses this + i - 1.") var httpPort = 8001
    @Option(name: .customLong("log-level"), help: "The nodes' log level.") var logLevel = "info"
    @Option(name: .customLong("serve-option"), help: "An option passed on to every `serve` (repeatable), e.g. --serve-option=--admin-token=T.")
    var serveOptions: [String] = []

    /// The command before its arguments are parsed (ArgumentParser's requirement).
    public init() {}

    /// Starts the nodes, prints their endpoints once every one is ready, and runs until SIGINT
    /// or SIGTERM (or until a node exits on its own); then stops every node with SIGTERM
    /// (SIGKILL after 20 s) and fails unless every one stopped cleanly.
    public func run() async throws {
        guard (1...9).contains(nodes) else { throw ValidationError("--nodes takes 1 to 9") }
        let root = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        let ids = Array(1...nodes)
        // An empty directory made beforehand (`mktemp -d`) is a first run too.
        let firstRun = !ids.contains { FileManager.default.fileExists(atPath: root + "/node-\($0)") }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let raftPort = self.raftPort
        let httpPort = self.httpPort
        let raft: @Sendable (Int) -> String = { "127.0.0.1:\(raftPort + $0 - 1)" }
        let http: @Sendable (Int) -> String = { "127.0.0.1:\(httpPort + $0 - 1)" }
        let peers = ids.flatMap { ["--peer", "\($0)=\(raft($0)),\(http($0))"] }
        let output = PrefixedOutput()
        let exits = AsyncStream<(Int, Int32)>.makeStream()
        var children: [Int: Process] = [:]
        for id in ids {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.executablePath())
            process.arguments = ["serve", "--id", "\(id)", "--data-dir", root + "/node-\(id)", "--raft-listen", raft(id), "--http-listen", http(id),
                                 "--log-level", logLevel] + peers + (firstRun ? ["--init"] : []) + serveOptions
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            output.attach(pipe, prefix: "node \(id) | ")
            process.terminationHandler = { exits.continuation.yield((id, $0.terminationStatus)) }
            do {
                try process.run()
            } catch {
                for child in children.values { child.terminate() }
                throw ValidationError("could not start \(Self.executablePath()) serve: \(error)")
            }
            children[id] = process
        }
        output.say(firstRun ? "raft-kv local: \(nodes) new nodes, data in \(root)" : "raft-kv local: restarting \(nodes) nodes from \(root)")

        let pool = HTTPClientPool()
        let ready = Task {
            let deadline = ContinuousClock.now + .seconds(60)
            var waiting = Set(ids)
            while ContinuousClock.now < deadline, !Task.isCancelled {
                for id in waiting.sorted() {
                    if let reply = try? await pool.send(to: http(id), method: .GET, path: "/ready", timeout: .seconds(1)), reply.status == 200 {
                        waiting.remove(id)
                    }
                }
                if waiting.isEmpty { return true }
                try? await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        Task {
            guard await ready.value else { return }
            output.say("""
                raft-kv local: the cluster is up.
                \(ids.map { "  node \($0): http://\(http($0))   (raft \(raft($0)))" }.joined(separator: "\n"))
                Try:
                  curl -X PUT --data 'world' http://\(http(1))/v1/kv/hello
                  curl http://\(http(ids.count > 1 ? 2 : 1))/v1/kv/hello
                  curl 'http://\(http(1))/v1/kv?prefix=h'
                  curl http://\(http(1))/v1/cluster/status
                  swift run raft-kv ctl --endpoint http://\(http(1)) status
                Ctrl-C stops the cluster.
                """)
        }
        // Until Ctrl-C (or a node exits on its own).
        let reason = await withTaskGroup(of: String.self) { group in
            group.addTask {
                for await signal in signals { return "\(signal)" }
                return "cancelled"
            }
            group.addTask {
                for await (id, status) in exits.stream { return "node \(id) exited with status \(status)" }
                return "cancelled"
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        ready.cancel()
        output.say("raft-kv local: stopping (\(reason))")
        for process in children.values where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        var clean = true
        for id in ids {
            let process = children[id]!
            let deadline = ContinuousClock.now + .seconds(20)
            while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning {
                output.say("raft-kv local: node \(id) did not stop within 20 s; killing it")
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                clean = false
            } else if process.terminationStatus != 0 {
                clean = false
            }
        }
        await pool.shutdown()
        output.flush()
        output.say(clean ? "raft-kv local: stopped" : "raft-kv local: stopped, not every node cleanly")
        if !clean { throw ExitCode(1) }
    }

    /// This executable, to start `serve` children with.
    static func executablePath() -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}

/// Children's output, line by line, each prefixed with its node.
final class PrefixedOutput: Sendable {
    private let partial = Mutex<[String: [UInt8]]>([:])
    private let lock = Mutex(())

    func attach(_ pipe: Pipe, prefix: String) {
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                emit(prefix: prefix, flush: true, adding: [])
            } else {
                emit(prefix: prefix, flush: false, adding: Array(data))
            }
        }
    }

    private func emit(prefix: String, flush: Bool, adding bytes: [UInt8]) {
        let lines: [String] = partial.withLock { partial in
            var buffer = partial[prefix, default: []] + bytes
            var lines: [String] = []
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
                buffer.removeSubrange(...newline)
            }
            if flush, !buffer.isEmpty {
                lines.append(String(decoding: buffer, as: UTF8.self))
                buffer = []
            }
            partial[prefix] = buffer
            return lines
        }
        guard !lines.isEmpty else { return }
        write(lines.map { prefix + $0 + "\n" }.joined())
    }

    func say(_ text: String) { write(text + "\n") }

    func flush() {
        let pending = partial.withLock { partial in
            defer { partial.removeAll() }
            return partial.filter { !$0.value.isEmpty }
        }
        for (prefix, bytes) in pending { write(prefix + String(decoding: bytes, as: UTF8.self) + "\n") }
    }

    private func write(_ text: String) {
        lock.withLock { _ in FileHandle.standardOutput.write(Data(text.utf8)) }
    }
}
