@testable import RaftCore

enum TestTypes: RaftTypeConfig {
    typealias Command = String
    typealias Response = String
    typealias NodeAddress = String
}

typealias TestEngine = RaftEngine<TestTypes>
typealias TestEntry = Entry<TestTypes>
typealias TestMembership = Membership<TestTypes>

func membership(_ voters: Set<NodeID>, learners: Set<NodeID> = []) -> TestMembership {
    var addresses: [NodeID: String] = [:]
    for id in voters.union(learners) { addresses[id] = "node-\(id)" }
    return TestMembership(config: MembershipConfig(voters: voters, learners: learners), addresses: addresses)
}

func lid(_ term: Term, _ node: NodeID, _ index: LogIndex) -> LogID {
    LogID(term: term, nodeID: node, index: index)
}

extension EngineConfig {
    static func testing(_ change: (inout EngineConfig) -> Void = { _ in }) -> EngineConfig {
        var config = EngineConfig()
        config.snapshotPolicy = .never
        change(&config)
        return config
    }
}

extension Array where Element == EngineCommand<TestTypes> {
    var messages: [(to: NodeID, message: RaftMessage<TestTypes>)] {
        compactMap { if case let .send(to, message) = $0 { return (to, message) } else { return nil } }
    }
    var replies: [(RequestToken, EngineReply)] {
        compactMap { if case let .reply(token, reply) = $0 { return (token, reply) } else { return nil } }
    }
    var appendedEntries: [TestEntry] {
        flatMap { command -> [TestEntry] in if case .appendEntries(let entries, _) = command { return entries } else { return [] } }
    }
    var savedVotes: [Vote] {
        compactMap { if case .saveVote(let vote, _) = $0 { return vote } else { return nil } }
    }
    var events: [EngineEvent] {
        compactMap { if case .event(let event) = $0 { return event } else { return nil } }
    }
}

extension RaftMessage where T == TestTypes {
    var appendRequest: AppendEntriesRequest<TestTypes>? { if case .appendEntries(let m) = self { return m } else { return nil } }
    var appendResponse: AppendEntriesResponse? { if case .appendEntriesResponse(let m) = self { return m } else { return nil } }
    var voteRequest: VoteRequest? { if case .vote(let m) = self { return m } else { return nil } }
    var voteResponse: VoteResponse? { if case .voteResponse(let m) = self { return m } else { return nil } }
}
