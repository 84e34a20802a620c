import ArgumentParser

/// `raft-kv`'s command line (the executable only runs it): a replicated, durable key-value server and its tools.

public struct RaftKVCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "raft-kv",
        abstract: "A replicated, durable key-value server (Raft over TCP, an HTTP/JSON API).",
        discussion: "Start with `raft-kv local`: a 3-node cluster on this machine. The API is in Sources/RaftKV/README.md.",
        subcommands: [ServeCommand.self, LocalCommand.self, CtlCommand.self])

    public init() {}
}
