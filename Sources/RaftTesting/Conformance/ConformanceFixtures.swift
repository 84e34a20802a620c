import Raft
import RaftCore

/// How the suite makes values of the application's types: commands to put in entries and
/// addresses to put in memberships.
public struct ConformanceFixtures<Types: RaftTypeConfig>: Sendable {
    /// A command distinguishable by `seed` (different seeds should give different commands,
    /// so the suite can tell entries apart).
    public var makeCommand: @Sendable (Int) -> Types.Command
    /// An address for a node id, for the memberships the cases write.
    public var makeAddress: @Sendable (NodeID) -> Types.NodeAddress

    /// Fixtures from a command factory and an address factory.
    public init(makeCommand: @escaping @Sendable (Int) -> Types.Command,
                makeAddress: @escaping @Sendable (NodeID) -> Types.NodeAddress) {
        self.makeCommand = makeCommand
        self.makeAddress = makeAddress
    }
}

extension ConformanceFixtures where Types.NodeAddress == String {
    /// Fixtures with addresses of the form "node-<id>:7000".
    public init(makeCommand: @escaping @Sendable (Int) -> Types.Command) {
        self.init(makeCommand: makeCommand, makeAddress: { "node-\($0):7000" })
    }
}

extension ConformanceFixtures where Types == KVTypes {
    /// Fixtures for the example key-value store.
    public static var keyValue: ConformanceFixtures<KVTypes> {
        ConformanceFixtures { seed in .put(key: "key-\(seed % 7)", value: "value-\(seed)") }
    }
}
