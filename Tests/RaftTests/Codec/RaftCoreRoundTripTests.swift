import Raft
import RaftCore
import Testing

/// Every RaftCore data type survives the binary codec.
@Suite struct RaftCoreRoundTripTests {
    static let membership = Membership<StringTypes>(
        config: MembershipConfig(
            voterSets: [
                VoterSet([1, 2, 3]),
                VoterSet.hierarchical([[1, 2], [4, 5], [6]]),
            ],
            learners: [7]),
        addresses: [1: "n1:7000", 2: "n2:7000", 3: "n3", 4: "n4", 5: "n5", 6: "n6", 7: "learner"])
    static let flexible = Membership<StringTypes>(
        config: MembershipConfig(voterSets: [VoterSet([1, 2, 3, 4], rule: .flexible(electionQuorumSize: 3, commitQuorumSize: 2))]),
        addresses: [1: "a", 2: "b", 3: "c", 4: "d"])
    static let logID = LogID(term: 7, nodeID: 3, index: 1_000_000)

    static let entries: [Entry<StringTypes>] = [
        Entry(logID: LogID(term: 0, nodeID: 0, index: 1), payload: .blank),
        Entry(logID: LogID(term: 1, nodeID: 2, index: 2), payload: .membership(membership)),
        Entry(logID: LogID(term: 1, nodeID: 2, index: 3), payload: .command("set x=1")),
        Entry(logID: LogID(term: 1, nodeID: 2, index: 4), payload: .membership(flexible)),
    ]

    @Test func identifiersAndVotes() throws {
        #expect(try roundTrip(Self.logID) == Self.logID)
        #expect(try roundTrip(LeaderID(term: 9, nodeID: 1)) == LeaderID(term: 9, nodeID: 1))
        for vote in [Vote.initial, Vote(term: 3, votedFor: 2), .leader(LeaderID(term: 4, nodeID: 1))] {
            #expect(try roundTrip(vote) == vote)
        }
        #expect(try roundTrip(LeaderIDMode.standard) == .standard)
    }

    @Test func membershipsAndQuorumRules() throws {
        #expect(try roundTrip(Self.membership) == Self.membership)
        #expect(try roundTrip(Self.flexible) == Self.flexible)
        let stored = StoredMembership(logID: Self.logID, membership: Self.membership)
        #expect(try roundTrip(stored) == stored)
        #expect(try roundTrip(StoredMembership<StringTypes>.empty) == .empty)
        for rule in [QuorumRule.majority, .flexible(electionQuorumSize: 2, commitQuorumSize: 3), .hierarchical(groups: [[1], [2, 3]])] {
            #expect(try roundTrip(rule) == rule)
        }
    }

    @Test func entries() throws {
        for entry in Self.entries {
            let decoded = try roundTrip(entry)
            #expect(decoded.logID == entry.logID)
            #expect(try encoded(decoded) == encoded(entry))
            #expect(decoded.membership == entry.membership)
        }
        if case .command(let command) = try roundTrip(Self.entries[2]).payload {
            #expect(command == "set x=1")
        } else {
            Issue.record("command payload lost")
        }
    }

    @Test func messages() throws {
        let vote = Vote.leader(LeaderID(term: 5, nodeID: 1))
        let meta = SnapshotMeta<StringTypes>(lastLogID: Self.logID,
                                             lastMembership: StoredMembership(logID: Self.logID, membership: Self.membership),
                                             snapshotID: "snap-1")
        #expect(try roundTrip(meta) == meta)
        let messages: [RaftMessage<StringTypes>] = [
            .appendEntries(AppendEntriesRequest(vote: vote, prevLogID: nil, entries: Self.entries, leaderCommit: Self.logID, rpcID: 1)),
            .appendEntriesResponse(AppendEntriesResponse(vote: vote, rpcID: 1, outcome: .success(matched: Self.logID))),
            .appendEntriesResponse(AppendEntriesResponse(vote: vote, rpcID: 2, outcome: .conflict(hintIndex: 5, hintLeaderID: nil))),
            .appendEntriesResponse(AppendEntriesResponse(vote: vote, rpcID: 3, outcome: .rejected)),
            .vote(VoteRequest(vote: Vote(term: 6, votedFor: 2), lastLogID: Self.logID, isPreVote: true, rpcID: 4)),
            .voteResponse(VoteResponse(vote: vote, granted: true, isPreVote: false, requestTerm: 6, lastLogID: nil, rpcID: 4)),
            .installSnapshot(InstallSnapshotRequest(vote: vote, meta: meta, rpcID: 5)),
            .installSnapshotResponse(InstallSnapshotResponse(vote: vote, rpcID: 5, outcome: .installed(matched: Self.logID))),
            .timeoutNow(TimeoutNowRequest(vote: vote, lastLogID: Self.logID, rpcID: 6)),
        ]
        for message in messages {
            let decoded = try roundTrip(message)
            #expect(decoded.rpcID == message.rpcID)
            #expect(decoded.description == message.description)
            #expect(try encoded(decoded) == encoded(message))
        }
    }

    @Test func kvCommandsAndResponses() throws {
        let commands: [KVCommand] = [
            .put(key: "k", value: "v"), .delete(key: ""), .get(key: "g"),
            .compareAndSet(key: "c", expected: nil, new: "n"), .compareAndSet(key: "c", expected: "o", new: nil),
        ]
        for command in commands { #expect(try roundTrip(command) == command) }
        let responses: [KVResponse] = [.written(previous: nil), .value("x"), .compareAndSet(succeeded: false, current: "y")]
        for response in responses { #expect(try roundTrip(response) == response) }
        #expect(try encoded(KVCommand.put(key: "k", value: "v")) == [7, 2, 1, 2, 0x6B, 2, 0x76])
    }
}
