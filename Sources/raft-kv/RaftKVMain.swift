import ArgumentParser
import RaftKV

/// `raft-kv serve | local | ctl`: the command line lives in RaftKV (`RaftKVCommand`).
@main
struct RaftKVMain: AsyncParsableCommand {
    static let configuration = RaftKVCommand.configuration
}
