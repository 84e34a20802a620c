import Foundation
import NIOHTTP1
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension RaftKVTests {
    /// The built `raft-kv local` as a child process: three `serve` grandchildren with data on
    /// disk, written and read over HTTP, stopped with SIGINT, started again from its data.
    @Suite("raft-kv local")
    struct LocalCommand {
        /// raft-kv is built next to the test bundle (it is a dependency of this test target).
        static var executablePath: String? {
            guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
            let path = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("raft-kv").path
            return FileManager.default.isExecutableFile(atPath: path) ? path : nil
        }

        /// A port whose next `count - 1` neighbours are free too (bound and released).
        static func freePortRun(_ count: Int) throws -> Int {
            for _ in 0..<200 {
                let base = Int.random(in: 20_000..<60_000)
                if (0..<count).allSatisfy({ canBind(base + $0) }) { return base }
            }
            throw TestFailure("no run of \(count) free ports found")
        }

        static func canBind(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            // As the servers bind: connections of an earlier run may linger in TIME_WAIT.
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }

        /// A running `raft-kv local` and everything it printed so far.
        final class Child: Sendable {
            let process: Process
            private let output = TextBuffer()

            init(executable: String, arguments: [String]) throws {
                process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                pipe.fileHandleForReading.readabilityHandler = { [output] handle in
                    let data = handle.availableData
                    if data.isEmpty { handle.readabilityHandler = nil } else { output.append(String(decoding: data, as: UTF8.self)) }
                }
                try process.run()
            }

            var printed: String { output.text }

            func waitFor(_ text: String, timeout: Duration) async throws {
                let deadline = ContinuousClock.now + timeout
                while !printed.contains(text) {
                    guard ContinuousClock.now < deadline, process.isRunning else {
                        throw TestFailure("raft-kv local did not print \"\(text)\"; it printed:\n\(printed)")
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }

            /// SIGINT, as Ctrl-C sends; the exit status once it exits.
            func interrupt(timeout: Duration) async throws -> Int32 {
                kill(process.processIdentifier, SIGINT)
                let deadline = ContinuousClock.now + timeout
                while process.isRunning {
                    guard ContinuousClock.now < deadline else {
                        kill(process.processIdentifier, SIGKILL)
                        throw TestFailure("raft-kv local did not exit within \(timeout) of SIGINT; it printed:\n\(printed)")
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return process.terminationStatus
            }
        }

        @Test(.timeLimit(.minutes(3))) func localRunsAClusterOfProcessesThatRestartsFromItsData() async throws {
            let executable = try #require(Self.executablePath, "raft-kv is not built next to the tests")
            let raftPort = try Self.freePortRun(3)
            let httpPort = try Self.freePortRun(3)
            let cluster = KVTestCluster()
            defer { try? FileManager.default.removeItem(atPath: cluster.root) }
            let arguments = ["local", "--nodes", "3", "--data-dir", cluster.root, "--raft-port", "\(raftPort)", "--http-port", "\(httpPort)", "--log-level", "warning"]

            let first = try Child(executable: executable, arguments: arguments)
            try await first.waitFor("the cluster is up", timeout: .seconds(90))
            #expect(first.printed.contains("3 new nodes"))
            #expect(first.printed.contains("curl -X PUT --data 'world' http://127.0.0.1:\(httpPort)/v1/kv/hello"))
            let put = try await cluster.send(.PUT, url: "http://127.0.0.1:\(httpPort)/v1/kv/hello", body: Array("world".utf8))
            #expect(put.status == 200, "\(put)")
            let read = try await cluster.send(.GET, url: "http://127.0.0.1:\(httpPort + 2)/v1/kv/hello")
            #expect(read.status == 200 && read.json["value"] as? String == "world", "\(read)")
            let status = try await first.interrupt(timeout: .seconds(60))
            #expect(status == 0, "exit status after SIGINT; printed:\n\(first.printed)")
            #expect(first.printed.contains("raft-kv local: stopped\n"))
            #expect((0..<3).allSatisfy { Self.canBind(httpPort + $0) && Self.canBind(raftPort + $0) }, "every node process released its ports")

            // Again: the nodes restart from their data (no second initialization) and still hold it.
            let second = try Child(executable: executable, arguments: arguments)
            try await second.waitFor("the cluster is up", timeout: .seconds(90))
            #expect(second.printed.contains("restarting 3 nodes"))
            let again = try await cluster.send(.GET, url: "http://127.0.0.1:\(httpPort + 1)/v1/kv/hello")
            #expect(again.status == 200 && again.json["value"] as? String == "world", "\(again)")
            #expect(try await second.interrupt(timeout: .seconds(60)) == 0, "printed:\n\(second.printed)")
            await cluster.shutdown()
        }
    }
}

/// Text appended from another thread.
final class TextBuffer: Sendable {
    private let stored = Mutex("")

    func append(_ text: String) { stored.withLock { $0 += text } }
    var text: String { stored.withLock { $0 } }
}
