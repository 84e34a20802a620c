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
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
