import ArgumentParser
import Foundation
import NIOCore
import RaftKV

/// `raft-kv serve | local | ctl | bench`: the command line lives in RaftKV (`RaftKVCommand`).
@main
struct RaftKVMain: AsyncParsableCommand {
    static let configuration = RaftKVCommand.configuration

    static func main() async {
        // Swift's global executor on NIO's event loops: a request's task, the node's loop and
        // the sockets then share threads, so a write hops between threads less often (set
        // RAFT_KV_GLOBAL_EXECUTOR=default to keep Swift's own pool). Must run before any task.
        if ProcessInfo.processInfo.environment["RAFT_KV_GLOBAL_EXECUTOR"] != "default" {
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
