import Foundation
import Synchronization

/// The five (or so) `raft-kv serve` processes of a run: their command lines, their
/// processes across kills and restarts, and the faults that act on processes (signals,
/// wiped directories, libfiu's disk faults, libfaketime's clocks).
final class ChaosCluster: Sendable {
    struct Options: Sendable {
        /// The `raft-kv` executable.
        var server: String
        var clusterID: String
        /// Election timeout range of the nodes, in milliseconds.
        var electionTimeoutMilliseconds: ClosedRange<Int>
        /// Start every node under libfiu, so disk faults can be switched on while it runs.
        var diskFaults: Bool
        /// Start every node under libfaketime, so its clocks can jump.
        var clockJumps: Bool
        /// Added to every node's command line.
        var extraArguments: [String] = []
    }

    let layout: ClusterLayout
    let options: Options
    private let state = Mutex(State())

    private struct State {
        var processes: [Int: NodeProcess] = [:]
        /// Every process that ever ran, with its node, for the end-of-run death check.
        var history: [(node: Int, process: NodeProcess)] = []
        var clockOffsets: [Int: Int] = [:]
        var starts = 0
    }

    init(layout: ClusterLayout, options: Options) {
        self.layout = layout
        self.options = options
    }

    /// The command line of node `id`: its peers are dialled through the proxies of its own
    /// links.
    func arguments(for id: Int, initialize: Bool, storageLost: Bool) -> [String] {
        let node = layout.node(id)
        var arguments = [
            options.server, "serve",
            "--id", "\(id)",
            "--data-dir", node.dataDirectory.path,
            "--raft-listen", "127.0.0.1:\(node.raftPort)",
            "--http-listen", "127.0.0.1:\(node.httpPort)",
            "--cluster-id", options.clusterID,
            // Frequent snapshots and a short log tail, so that lagging and restarted nodes
            // often catch up by snapshot, and "snapshot-install" faults compact in seconds.
            "--snapshot-every", "500", "--logs-kept", "200",
            "--election-timeout-ms", "\(options.electionTimeoutMilliseconds.lowerBound)-\(options.electionTimeoutMilliseconds.upperBound)",
        ]
        for peer in layout.ids where peer != id {
            let other = layout.node(peer)
            arguments += ["--peer", "\(peer)=127.0.0.1:\(other.raftPort),127.0.0.1:\(other.httpPort)"]
            arguments += ["--dial", "\(peer)=127.0.0.1:\(layout.proxy(from: id, to: peer).port)"]
        }
        if initialize { arguments.append("--init") }
        if storageLost { arguments.append("--storage-lost") }
        return arguments + options.extraArguments
    }

    private func environment(for id: Int) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        var preload: [String] = []
        if options.diskFaults {
            environment["FIU_CTRL_FIFO"] = fiuFifoBase(id)
            environment["FIU_ENABLE"] = ""
            preload += ["/usr/lib/fiu/fiu_run_preload.so", "/usr/lib/fiu/fiu_posix_preload.so"]
        }
        if options.clockJumps {
            let file = layout.node(id).clockFile
            let offset = state.withLock { $0.clockOffsets[id] ?? 0 }
            try? "+\(offset)\n".write(to: file, atomically: true, encoding: .utf8)
            environment["FAKETIME_TIMESTAMP_FILE"] = file.path
            environment["FAKETIME_CACHE_DURATION"] = "1"
            // Only the wall clock jumps, as when NTP steps it: a real monotonic clock never
            // jumps (a stalled machine, which looks like one, is what SIGSTOP gives), and
            // libfaketime's fake monotonic time stalls NIO's timers altogether.
            environment["DONT_FAKE_MONOTONIC"] = "1"
            preload.append(ChaosTools.libfaketime)
        }
        if !preload.isEmpty { environment["LD_PRELOAD"] = preload.joined(separator: " ") }
        return environment
    }

    private func fiuFifoBase(_ id: Int) -> String {
        layout.node(id).logFile.deletingLastPathComponent().appendingPathComponent("n\(id)-fiu").path
    }

    /// Starts node `id` (it must not be running).
    func start(_ id: Int, initialize: Bool = false, storageLost: Bool = false) throws {
        let arguments = arguments(for: id, initialize: initialize, storageLost: storageLost)
        let banner = state.withLock { state -> String in
            state.starts += 1
            return "start #\(state.starts) of n\(id) at \(Date())"
        }
        let process = try NodeProcess(arguments: arguments, environment: environment(for: id),
                                      logFile: layout.node(id).logFile, banner: banner)
        state.withLock { state in
            state.processes[id] = process
            state.history.append((id, process))
        }
    }

    func process(_ id: Int) -> NodeProcess? { state.withLock { $0.processes[id] } }

    /// Whether node `id`'s process is up (it may be paused).
    func isRunning(_ id: Int) -> Bool { process(id).map { $0.exit == nil } ?? false }

    /// `kill -9`, waiting until the process is gone.
    func kill(_ id: Int) async {
        guard let process = process(id), process.exit == nil else { return }
        process.expect(.killed)
        process.signal(SIGCONT)
        process.signal(SIGKILL)
        _ = await process.waitForExit(timeout: .seconds(10))
    }

    func pause(_ id: Int) { process(id)?.signal(SIGSTOP) }

    func resume(_ id: Int) { process(id)?.signal(SIGCONT) }

    /// Kills node `id` and deletes its data directory.
    func wipe(_ id: Int) async throws {
        await kill(id)
        let directory = layout.node(id).dataDirectory
        if FileManager.default.fileExists(atPath: directory.path) {
            try FileManager.default.removeItem(at: directory)
        }
    }

    /// Makes node `id`'s file writes (`pwrite`) or fsyncs fail with `errno` from now on.
    func injectDiskFault(_ id: Int, errno: Int32, onWrite: Bool) throws {
        guard let process = process(id), process.exit == nil else { return }
        process.expect(.diskFault)
        let points = onWrite ? ["posix/io/rw/pwrite", "posix/io/rw/pwritev"] : ["posix/io/sync/fsync", "posix/io/sync/fdatasync"]
        for point in points {
            try ChaosTools.run(["fiu-ctrl", "-f", fiuFifoBase(id), "-c", "enable name=\(point),failinfo=\(errno)", "\(process.pid)"])
        }
    }

    /// Moves node `id`'s wall clock `seconds` forward, for good (its monotonic clock is left
    /// alone, see `environment(for:)`): libfaketime rereads the offset file within a second.
    func jumpClock(_ id: Int, bySeconds seconds: Int) throws {
        let offset = state.withLock { state -> Int in
            state.clockOffsets[id, default: 0] += seconds
            return state.clockOffsets[id]!
        }
        try "+\(offset)\n".write(to: layout.node(id).clockFile, atomically: true, encoding: .utf8)
    }

    /// Stops every process (SIGTERM, then SIGKILL after `grace`), and the proxies.
    func stopAll(grace: Duration) async {
        let running = state.withLock { Array($0.processes.values) }.filter { $0.exit == nil }
        for process in running {
            process.expect(.stopped)
            process.signal(SIGCONT)
            process.signal(SIGTERM)
        }
        for process in running where await process.waitForExit(timeout: grace) == nil {
            process.signal(SIGKILL)
            _ = await process.waitForExit(timeout: .seconds(5))
        }
        layout.stopProxies()
    }

    /// Processes that ended without the harness causing it (a disk-faulted node that
    /// stopped counts as expected).
    var unexpectedDeaths: [(node: Int, exit: NodeProcess.Exit)] {
        state.withLock { $0.history }.compactMap { entry in
            guard let exit = entry.process.exit, entry.process.expectedEnd == nil else { return nil }
            return (entry.node, exit)
        }
    }
}

/// The external tools a run may use, and where they are.
enum ChaosTools {
    static let libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
    static let fiuPreload = "/usr/lib/fiu/fiu_posix_preload.so"

    static var haveFiu: Bool { FileManager.default.fileExists(atPath: fiuPreload) && which("fiu-ctrl") != nil }
    static var haveFaketime: Bool { FileManager.default.fileExists(atPath: libfaketime) }

    static func which(_ tool: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs a tool to completion; a non-zero exit throws with its output.
    static func run(_ arguments: [String]) throws {
        guard let path = which(arguments[0]) else { throw ChaosError.setup("\(arguments[0]) is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = Array(arguments.dropFirst())
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ChaosError.setup("\(arguments.joined(separator: " ")) failed: \(text)")
        }
    }
}
