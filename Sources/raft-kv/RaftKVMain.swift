import ArgumentParser
import Foundation
import NIOCore
import RaftKV

/// `raft-kv serve | local | ctl | bench`: the command line lives in RaftKV (`RaftKVCommand`).
@main
struct RaftKVMain: AsyncParsableCommand {
    static let configuration = RaftKVCommand.configuration

    static func main() async {
        // RAFT_KV_GLOBAL_EXECUTOR=nio runs Swift's global executor on NIO's event loops, so a
        // request's task, the node's loop and the sockets share threads. Measured slower on a
        // loaded 2-core machine (BENCHMARKS.md), so not the default. Must run before any task.
        if ProcessInfo.processInfo.environment["RAFT_KV_GLOBAL_EXECUTOR"] == "nio" {
            _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await main(programArguments())
    }

    /// The arguments after the program's name. Under some preloaded libraries (libfaketime,
    /// which the chaos test runs nodes under) Swift's `CommandLine.arguments` comes back
    /// empty, so they are then read from `/proc/self/cmdline`, which the kernel keeps.
    static func programArguments() -> [String] {
        if !CommandLine.arguments.isEmpty { return Array(CommandLine.arguments.dropFirst()) }
        guard let raw = try? Data(contentsOf: URL(fileURLWithPath: "/proc/self/cmdline")) else { return [] }
        return raw.split(separator: 0, omittingEmptySubsequences: false).dropFirst()
            .map { String(decoding: $0, as: UTF8.self) }.dropLast(raw.last == 0 ? 1 : 0)
    }
}
