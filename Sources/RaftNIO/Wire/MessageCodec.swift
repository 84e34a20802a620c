import NIOCore
import Raft
import RaftCore


// MARK: Identifiers

extension ByteBuffer {
    @inlinable mutating func writeVote(_ vote: Vote) {
        writeInteger(vote.term)
        writeInteger(vote.votedFor ?? 0)
        writeInteger(UInt8((vote.votedFor != nil ? 1 : 0) | (vote.committed ? 2 : 0)))
    }

    @inlinable mutating func writeLeaderID(_ leaderID: LeaderID) {
        writeInteger(leaderID.term)
        writeInteger(leaderID.nodeID)
    }

    @inlinable mutating func writeLogID(_ logID: LogID?) {
        guard let logID else {
            writeInteger(UInt8(0))
            return
        }
        writeInteger(UInt8(1))
        writeLeaderID(logID.leaderID)
        writeInteger(logID.index)
    }

    @inlinable mutating func writeOptionalLeaderID(_ leaderID: LeaderID?) {
        guard let leaderID else {
            writeInteger(UInt8(0))
            return
        }
        writeInteger(UInt8(1))
        writeLeaderID(leaderID)
    }
}

extension BodyReader {
    @inlinable mutating func vote() throws(FrameError) -> Vote {
        let term = try u64("vote.term")
        let votedFor = try u64("vote.votedFor")
        let flags = try u8("vote.flags")
        guard flags & ~3 == 0 else { throw malformed("vote flags \(flags)") }
        let hasCandidate = flags & 1 != 0
        let committed = flags & 2 != 0
        if committed && !hasCandidate { throw malformed("a committed vote without a leader") }
        if !hasCandidate && votedFor != 0 { throw malformed("vote names a node without its flag") }
        return Vote(term: term, votedFor: hasCandidate ? votedFor : nil, committed: committed)
    }

    @inlinable mutating func leaderID() throws(FrameError) -> LeaderID {
        LeaderID(term: try u64("leader.term"), nodeID: try u64("leader.node"))
    }

    @inlinable mutating func logID() throws(FrameError) -> LogID? {
        guard try bool("logID.present") else { return nil }
        let leader = try leaderID()
        return LogID(leaderID: leader, index: try u64("logID.index"))
    }

    @inlinable mutating func optionalLeaderID() throws(FrameError) -> LeaderID? {
        guard try bool("leaderID.present") else { return nil }
        return try leaderID()
    }
}

// MARK: Membership

extension ByteBuffer {
    @inlinable mutating func writeNodeIDs(_ ids: Set<NodeID>) {
        writeInteger(UInt16(ids.count))
        for id in ids.sorted() { writeInteger(id) }
    }

    @inlinable mutating func writeMembershipConfig(_ config: MembershipConfig) {
        writeInteger(UInt16(config.voterSets.count))
        for set in config.voterSets {
            switch set.rule {
            case .majority:
                writeInteger(UInt8(0))
            case let .flexible(election, commit):
                writeInteger(UInt8(1))
                writeInteger(UInt32(clamping: election))
                writeInteger(UInt32(clamping: commit))
            case .hierarchical(let groups):
                writeInteger(UInt8(2))
                writeInteger(UInt16(groups.count))
                for group in groups { writeNodeIDs(group) }
            }
            writeNodeIDs(set.members)
        }
        writeNodeIDs(config.learners)
    }

    @inlinable mutating func writeMembership<T: RaftWireTypes>(_ membership: Membership<T>) throws {
        writeMembershipConfig(membership.config)
        writeInteger(UInt16(membership.addresses.count))
        for id in membership.addresses.keys.sorted() {
            writeInteger(id)
            try writeLengthPrefixed { buffer in try T.encodeAddress(membership.addresses[id]!, into: &buffer) }
        }
    }

    @inlinable mutating func writeStoredMembership<T: RaftWireTypes>(_ stored: StoredMembership<T>) throws {
        writeLogID(stored.logID)
        try writeMembership(stored.membership)
    }
}

extension BodyReader {
    @inlinable mutating func nodeIDs(_ field: StaticString) throws(FrameError) -> Set<NodeID> {
        let count = try count(field, minimumSize: 8)
        var ids = Set<NodeID>(minimumCapacity: count)
        for _ in 0..<count {
            guard ids.insert(try u64(field)).inserted else { throw malformed("duplicate node id in \(field)") }
        }
        return ids
    }

    /// A configuration, which must be valid (only the empty configuration of a pristine
    /// node's stored membership may have no voters, with `allowEmpty`).
    @inlinable mutating func membershipConfig(allowEmpty: Bool = false) throws(FrameError) -> MembershipConfig {
        let setCount = try count("voterSets", minimumSize: 3)
        var sets: [VoterSet] = []
        for _ in 0..<setCount {
            let rule: QuorumRule
            switch try u8("quorum.rule") {
            case 0: rule = .majority
            case 1: rule = .flexible(electionQuorumSize: Int(try u32("quorum.election")), commitQuorumSize: Int(try u32("quorum.commit")))
            case 2:
                let groupCount = try count("quorum.groups", minimumSize: 2)
                var groups: [Set<NodeID>] = []
                for _ in 0..<groupCount { groups.append(try nodeIDs("quorum.group")) }
                rule = .hierarchical(groups: groups)
            case let other: throw malformed("quorum rule \(other)")
            }
            sets.append(VoterSet(try nodeIDs("voters"), rule: rule))
        }
        let config = MembershipConfig(voterSets: sets, learners: try nodeIDs("learners"))
        // An invalid configuration would trip the engine's own checks later: refuse it here.
        if allowEmpty && sets.isEmpty && config.learners.isEmpty { return config }
        if let error = config.validationError { throw malformed("membership: \(error)") }
        return config
    }

    @inlinable mutating func membership<T: RaftWireTypes>(_: T.Type, allowEmpty: Bool = false) throws(FrameError) -> Membership<T> {
        let config = try membershipConfig(allowEmpty: allowEmpty)
        let count = try count("addresses", minimumSize: 12)
        var addresses: [NodeID: T.NodeAddress] = [:]
        for _ in 0..<count {
            let id = try u64("address.node")
            var bytes = try lengthPrefixed("address")
            do {
                addresses[id] = try T.decodeAddress(from: &bytes)
            } catch {
                throw malformed("address of node \(id): \(error)")
            }
        }
        return Membership(config: config, addresses: addresses)
    }

    @inlinable mutating func storedMembership<T: RaftWireTypes>(_: T.Type) throws(FrameError) -> StoredMembership<T> {
        let logID = try logID()
        return StoredMembership(logID: logID, membership: try membership(T.self, allowEmpty: logID == nil))
    }
}

// MARK: Entries

/// Entry payload tags, in the low bits of an entry's header byte.
@usableFromInline enum EntryTag {
    @usableFromInline static let blank: UInt8 = 0
    @usableFromInline static let membership: UInt8 = 1
    @usableFromInline static let command: UInt8 = 2
    @usableFromInline static let payloadMask: UInt8 = 3
    /// The entry's leader differs from the previous entry's (or `prevLogID`'s): it follows.
    @usableFromInline static let newLeader: UInt8 = 1 << 2
}

/// Entries that do not continue `prevLogID` one index at a time cannot be written: the wire
/// format carries only the first index.
@usableFromInline struct NonContiguousEntries: Error, CustomStringConvertible {
    @inlinable init() {}

    @usableFromInline var description: String { "append entries are not contiguous after prevLogID" }
}

extension ByteBuffer {
    /// Entries after `prevLogID`: a count, then per entry a header byte, its leader only
    /// when it changes, and its payload. Indexes are implicit (contiguous after `prevLogID`).
    @inlinable mutating func writeEntries<T: RaftWireTypes>(_ entries: [Entry<T>], after prevLogID: LogID?) throws {
        writeInteger(UInt32(entries.count))
        var index = prevLogID.indexOrZero
        var leader = prevLogID?.leaderID
        for entry in entries {
            index += 1
            guard entry.logID.index == index else { throw NonContiguousEntries() }
            var header: UInt8
            switch entry.payload {
            case .blank: header = EntryTag.blank
            case .membership: header = EntryTag.membership
            case .command: header = EntryTag.command
            }
            let changesLeader = entry.logID.leaderID != leader
            if changesLeader { header |= EntryTag.newLeader }
            writeInteger(header)
            if changesLeader {
                writeLeaderID(entry.logID.leaderID)
                leader = entry.logID.leaderID
            }
            switch entry.payload {
            case .blank: break
            case .membership(let membership): try writeMembership(membership)
            case .command(let command): try writeLengthPrefixed { buffer in try T.encodeCommand(command, into: &buffer) }
            }
        }
    }
}

extension BodyReader {
    @inlinable mutating func entries<T: RaftWireTypes>(after prevLogID: LogID?, _: T.Type) throws(FrameError) -> [Entry<T>] {
        let count = try count("entries", minimumSize: 1, wide: true)
        var entries: [Entry<T>] = []
        entries.reserveCapacity(count)
        var index = prevLogID.indexOrZero
        var leader = prevLogID?.leaderID
        for _ in 0..<count {
            let header = try u8("entry.header")
            guard header & ~(EntryTag.payloadMask | EntryTag.newLeader) == 0 else { throw malformed("entry header \(header)") }
            if header & EntryTag.newLeader != 0 { leader = try leaderID() }
            guard let entryLeader = leader else { throw malformed("first entry without a leader") }
            guard index < UInt64.max else { throw malformed("entry index overflows") }
            index += 1
            let payload: EntryPayload<T>
            switch header & EntryTag.payloadMask {
            case EntryTag.blank: payload = .blank
            case EntryTag.membership: payload = .membership(try membership(T.self))
            case EntryTag.command:
                var bytes = try lengthPrefixed("command")
                do {
                    payload = .command(try T.decodeCommand(from: &bytes))
                } catch {
                    throw malformed("command of entry \(index): \(error)")
                }
            default: throw malformed("entry payload tag \(header & EntryTag.payloadMask)")
            }
            entries.append(Entry(logID: LogID(leaderID: entryLeader, index: index), payload: payload))
        }
        return entries
    }
}

// MARK: Requests and responses

extension ByteBuffer {
    @inlinable mutating func writeAppendRequest<T: RaftWireTypes>(_ request: AppendEntriesRequest<T>) throws {
        writeVote(request.vote)
        writeLogID(request.prevLogID)
        writeLogID(request.leaderCommit)
        writeInteger(request.rpcID)
        try writeEntries(request.entries, after: request.prevLogID)
    }

    @inlinable mutating func writeAppendResponse(_ response: AppendEntriesResponse) {
        writeVote(response.vote)
        writeInteger(response.rpcID)
        // Bit 7 of the outcome byte: the receiver's voting is suspended.
        let suspended: UInt8 = response.votingSuspended ? 0x80 : 0
        switch response.outcome {
        case .success(let matched):
            writeInteger(0 | suspended)
            writeLogID(matched)
        case let .conflict(hintIndex, hintLeaderID):
            writeInteger(1 | suspended)
            writeInteger(hintIndex)
            writeOptionalLeaderID(hintLeaderID)
        case .rejected:
            writeInteger(2 | suspended)
        }
    }

    @inlinable mutating func writeVoteRequest(_ request: VoteRequest) {
        writeVote(request.vote)
        writeLogID(request.lastLogID)
        writeInteger(UInt8((request.isPreVote ? 1 : 0) | (request.isLeadershipTransfer ? 2 : 0)))
        writeInteger(request.rpcID)
    }

    @inlinable mutating func writeVoteResponse(_ response: VoteResponse) {
        writeVote(response.vote)
        writeInteger(UInt8((response.granted ? 1 : 0) | (response.isPreVote ? 2 : 0)))
        writeInteger(response.requestTerm)
        writeLogID(response.lastLogID)
        writeInteger(response.rpcID)
    }

    @inlinable mutating func writeTimeoutNow(_ request: TimeoutNowRequest) {
        writeVote(request.vote)
        writeLogID(request.lastLogID)
        writeInteger(request.rpcID)
    }

    @inlinable mutating func writeSnapshotMeta<T: RaftWireTypes>(_ meta: SnapshotMeta<T>) throws {
        writeLogID(meta.lastLogID)
        try writeStoredMembership(meta.lastMembership)
        writeShortString(meta.snapshotID)
    }

    @inlinable mutating func writeSnapshotChunk<T: RaftWireTypes>(_ chunk: SnapshotChunk<T>) throws {
        writeVote(chunk.vote)
        try writeSnapshotMeta(chunk.meta)
        writeInteger(UInt64(chunk.offset))
        writeBool(chunk.isLast)
        writeInteger(chunk.rpcID)
        writeInteger(UInt32(chunk.data.count))
        writeBytes(chunk.data)
    }

    @inlinable mutating func writeInstallResponse(_ response: InstallSnapshotResponse) {
        writeVote(response.vote)
        writeInteger(response.rpcID)
        switch response.outcome {
        case .installed(let matched):
            writeInteger(UInt8(0))
            writeLogID(matched)
        case .rejected:
            writeInteger(UInt8(1))
        }
    }

    @inlinable mutating func writeSnapshotChunkResponse(_ response: SnapshotChunkResponse) {
        switch response {
        case .accepted(let nextOffset):
            writeInteger(UInt8(0))
            writeInteger(UInt64(nextOffset))
        case .installed(let installed):
            writeInteger(UInt8(1))
            writeInstallResponse(installed)
        case .rejected(let vote):
            writeInteger(UInt8(2))
            writeVote(vote)
        case .outOfOrder(let expected):
            writeInteger(UInt8(3))
            writeInteger(UInt64(expected))
        }
    }
}

extension BodyReader {
    @inlinable mutating func appendRequest<T: RaftWireTypes>(_: T.Type) throws(FrameError) -> AppendEntriesRequest<T> {
        let vote = try vote()
        let prevLogID = try logID()
        let leaderCommit = try logID()
        let rpcID = try u64("rpcID")
        let entries = try entries(after: prevLogID, T.self)
        return AppendEntriesRequest(vote: vote, prevLogID: prevLogID, entries: entries, leaderCommit: leaderCommit, rpcID: rpcID)
    }

    @inlinable mutating func appendResponse() throws(FrameError) -> AppendEntriesResponse {
        let vote = try vote()
        let rpcID = try u64("rpcID")
        let outcome: AppendEntriesResponse.Outcome
        let outcomeByte = try u8("outcome")
        switch outcomeByte & 0x7F {
        case 0: outcome = .success(matched: try logID())
        case 1:
            let hintIndex = try u64("hintIndex")
            outcome = .conflict(hintIndex: hintIndex, hintLeaderID: try optionalLeaderID())
        case 2: outcome = .rejected
        case let other: throw malformed("append outcome \(other)")
        }
        return AppendEntriesResponse(vote: vote, rpcID: rpcID, outcome: outcome, votingSuspended: outcomeByte & 0x80 != 0)
    }

    @inlinable mutating func voteRequest() throws(FrameError) -> VoteRequest {
        let vote = try vote()
        let lastLogID = try logID()
        let flags = try u8("vote.requestFlags")
        guard flags & ~3 == 0 else { throw malformed("vote request flags \(flags)") }
        // The engine reads the candidate from the vote: a request must name one.
        guard vote.votedFor != nil else { throw malformed("vote request without a candidate") }
        return VoteRequest(vote: vote, lastLogID: lastLogID, isPreVote: flags & 1 != 0, isLeadershipTransfer: flags & 2 != 0, rpcID: try u64("rpcID"))
    }

    @inlinable mutating func voteResponse() throws(FrameError) -> VoteResponse {
        let vote = try vote()
        let flags = try u8("vote.responseFlags")
        guard flags & ~3 == 0 else { throw malformed("vote response flags \(flags)") }
        let requestTerm = try u64("requestTerm")
        let lastLogID = try logID()
        return VoteResponse(vote: vote, granted: flags & 1 != 0, isPreVote: flags & 2 != 0, requestTerm: requestTerm, lastLogID: lastLogID, rpcID: try u64("rpcID"))
    }

    @inlinable mutating func timeoutNow() throws(FrameError) -> TimeoutNowRequest {
        let vote = try vote()
        let lastLogID = try logID()
        return TimeoutNowRequest(vote: vote, lastLogID: lastLogID, rpcID: try u64("rpcID"))
    }

    @inlinable mutating func snapshotMeta<T: RaftWireTypes>(_: T.Type) throws(FrameError) -> SnapshotMeta<T> {
        let lastLogID = try logID()
        let membership = try storedMembership(T.self)
        return SnapshotMeta(lastLogID: lastLogID, lastMembership: membership, snapshotID: try string("snapshotID"))
    }

    @inlinable mutating func snapshotChunk<T: RaftWireTypes>(_: T.Type) throws(FrameError) -> SnapshotChunk<T> {
        let vote = try vote()
        let meta = try snapshotMeta(T.self)
        let offset = try count64("offset")
        let isLast = try bool("isLast")
        let rpcID = try u64("rpcID")
        let data = try bytes("data")
        return SnapshotChunk(vote: vote, meta: meta, offset: offset, data: data, isLast: isLast, rpcID: rpcID)
    }

    @inlinable mutating func installResponse() throws(FrameError) -> InstallSnapshotResponse {
        let vote = try vote()
        let rpcID = try u64("rpcID")
        switch try u8("install.outcome") {
        case 0: return InstallSnapshotResponse(vote: vote, rpcID: rpcID, outcome: .installed(matched: try logID()))
        case 1: return InstallSnapshotResponse(vote: vote, rpcID: rpcID, outcome: .rejected)
        case let other: throw malformed("install outcome \(other)")
        }
    }

    @inlinable mutating func snapshotChunkResponse() throws(FrameError) -> SnapshotChunkResponse {
        switch try u8("chunk.outcome") {
        case 0: return .accepted(nextOffset: try count64("nextOffset"))
        case 1: return .installed(try installResponse())
        case 2: return .rejected(vote: try vote())
        case 3: return .outOfOrder(expectedOffset: try count64("expectedOffset"))
        case let other: throw malformed("chunk outcome \(other)")
        }
    }
}
