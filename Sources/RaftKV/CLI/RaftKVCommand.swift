import ArgumentParser

/// `raft-kv`'s command line (the executable only runs it): a replicated, durable key-value server and its tools.
///
/// Its subcommands are ``ServeCommand`` (`raft-kv serve`: one member), ``LocalCommand``
/// (`raft-kv local`: a cluster of `serve` processes on this machine), ``CtlCommand``
/// (`raft-kv ctl`: operate a cluster through any member) and ``BenchCommand`` (`raft-kv
/// bench`: load a running cluster with PUTs).
public struct RaftKVCommand: AsyncParsableCommand {
    /// The command's name, help text and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "raft-kv",
        abstract: "A replicated, durable key-value server (Raft over TCP, an HTTP/JSON API).",
        discussion: "Start with `raft-kv local`: a 3-node cluster on this machine. The API is in Sources/RaftKV/README.md.",
        subcommands: [ServeCommand.self, LocalCommand.self, CtlCommand.self, BenchCommand.self])

    /// The command before its arguments are parsed (ArgumentParser's requirement).
    public init() {}
}
