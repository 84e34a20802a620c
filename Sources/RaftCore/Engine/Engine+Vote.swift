import DequeModule

extension RaftEngine {
    /// Replaces the vote (which must not go backwards) and saves it. Leaving a leadership or a
    /// campaign that the new vote supersedes happens here.
    @discardableResult
    @inlinable mutating func updateVote(_ newVote: Vote) -> IOID {
        precondition(
            newVote.isAtLeast(vote, mode: config.leaderIDMode) || testingFaults.contains(.grantsTwoVotesPerTerm),
            "vote must not go backwards: \(vote) -> \(newVote)")
        _vote = newVote
        highestTermSeen = max(highestTermSeen, newVote.term)
        let ioID = issueLogIO(lastLogIDAfter: log.last)
        output.append(.saveVote(newVote, io: ioID))
        lastVoteIO = ioID
        switch role {
        case .leader:
            if newVote != Vote.leader(leader!.leaderID) { stepDown(.higherVote(newVote)) }
        case .candidate, .preCandidate:
            if newVote.votedFor != id { abandonCampaign() }
        case .follower:
            break
        }
        return ioID
    }

    /// Whether a live leader is known: this node leads, or heard from its leader within the
    /// minimum election timeout. Such a node refuses to help depose the leader.
    @inlinable var hasLiveLeader: Bool {
        if role == .leader { return true }
        guard vote.committed, let contact = lastLeaderContact else { return false }
        return now < contact + config.electionTimeoutMin
    }

    /// Whether a candidate whose log ends at `candidateLast` is at least as up to date as this
    /// node: last leader (term first) then index, compared lexicographically.
    @inlinable func isLogUpToDate(_ candidateLast: LogID?) -> Bool {
        !logIDLess(candidateLast, log.last)
    }

    @inlinable mutating func handleVoteRequest(_ request: VoteRequest, from sender: NodeID) {
        guard request.vote.votedFor == sender, !request.vote.committed else {
            emitEvent(.rejectedMessage(from: sender, reason: "malformed vote request"))
            return
        }
        highestTermSeen = max(highestTermSeen, request.vote.term)
        let isFresh = request.vote.isAtLeast(vote, mode: config.leaderIDMode)
            || (!testingFaults.isDisjoint(with: [.grantsTwoVotesPerTerm, .trapsOnSecondVoteInATerm]) && request.vote.term == vote.term)
        let logOK = isLogUpToDate(request.lastLogID)
        let stickyLeader = hasLiveLeader && !request.isLeadershipTransfer
        let mayVote = !votingSuspended && isFresh && logOK && !stickyLeader
        if !logOK { allowLearnerCampaign(askedBy: request.lastLogID) }

        if request.isPreVote {
            if testingFaults.contains(.preVoteSavesTerm), request.vote.term > vote.term { updateVote(Vote(term: request.vote.term, votedFor: nil)) }
            let response = VoteResponse(vote: vote, granted: mayVote, isPreVote: true, requestTerm: request.vote.term, lastLogID: log.last, rpcID: request.rpcID)
            send(.voteResponse(response), to: sender, after: nil)
            return
        }
        if mayVote {
            if request.vote != vote {
                updateVote(request.vote)
                resetElectionDeadline()
            }
        } else if !stickyLeader, request.vote.term > vote.term {
            // A higher term with a worse log: adopt the term without voting, as classic Raft does,
            // so a better candidate can win the next round.
            updateVote(Vote(term: request.vote.term, votedFor: nil))
        }
        let response = VoteResponse(vote: vote, granted: mayVote, isPreVote: false, requestTerm: request.vote.term, lastLogID: log.last, rpcID: request.rpcID)
        send(.voteResponse(response), to: sender, after: mayVote ? voteDurabilityDependency : nil)
    }

    @inlinable mutating func handleVoteResponse(_ response: VoteResponse, from sender: NodeID) {
        highestTermSeen = max(highestTermSeen, response.vote.term)
        guard var campaign, role == .preCandidate || role == .candidate,
              response.requestTerm == campaign.term, response.isPreVote == campaign.isPreVote else { return }
        if response.granted {
            campaign.granted.insert(sender)
            self.campaign = campaign
            checkCampaignQuorum()
        } else if response.vote.term > campaign.term {
            abandonCampaign()
        }
    }

    @inlinable mutating func handleTimeoutNow(_ request: TimeoutNowRequest, from sender: NodeID) {
        guard request.vote.committed, request.vote.votedFor == sender, request.vote == vote, role == .follower else {
            emitEvent(.rejectedMessage(from: sender, reason: "timeout-now from a node that is not this node's leader"))
            return
        }
        guard isElectable, !votingSuspended else { return }
        startCampaign(leadershipTransfer: true)
    }
}
