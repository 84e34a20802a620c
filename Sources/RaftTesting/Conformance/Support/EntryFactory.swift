import Raft
import RaftCore

/// Builds entries for the suite from the application's fixtures.
struct EntryFactory<Types: RaftTypeConfig>: Sendable {
    let fixtures: ConformanceFixtures<Types>

    /// Entries `indexes` written by leader `(term, node)`; mostly commands, with a blank entry
    /// and a membership entry mixed in so every payload kind is stored.
    func entries(_ indexes: ClosedRange<LogIndex>, term: Term = 1, node: NodeID = 1) -> [Entry<Types>] {
        indexes.map { index in
            let logID = LogID(term: term, nodeID: node, index: index)
            switch index % 10 {
            case 1: return Entry(logID: logID, payload: .blank)
            case 5: return Entry(logID: logID, payload: .membership(membership(voters: [1, 2, index % 3 + 3])))
            default: return Entry(logID: logID, payload: .command(fixtures.makeCommand(Int(index &* 31 &+ term))))
            }
        }
    }

    func commands(_ indexes: ClosedRange<LogIndex>, term: Term = 1, node: NodeID = 1) -> [Entry<Types>] {
        indexes.map { Entry(logID: LogID(term: term, nodeID: node, index: $0), payload: .command(fixtures.makeCommand(Int($0)))) }
    }

    func membership(voters: Set<NodeID>, learners: Set<NodeID> = []) -> Membership<Types> {
        var addresses: [NodeID: Types.NodeAddress] = [:]
        for id in voters.union(learners) { addresses[id] = fixtures.makeAddress(id) }
        return Membership(config: MembershipConfig(voters: voters, learners: learners), addresses: addresses)
    }
}
