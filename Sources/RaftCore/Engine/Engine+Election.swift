import DequeModule

extension RaftEngine {
    /// Starts campaigning: a pre-vote round first (unless disabled or handed leadership), so a
    /// node that cannot win never raises the term.
    @inlinable mutating func startCampaign(leadershipTransfer: Bool) {
        resetElectionDeadline()
        leaderPresumedLost = true
        if config.preVote && !leadershipTransfer {
            startPreVote()
        } else {
            startElection(leadershipTransfer: leadershipTransfer)
        }
    }

    @inlinable mutating func startPreVote() {
        let term = max(vote.term, highestTermSeen) + 1
        role = .preCandidate
        campaign = Campaign(term: term, isPreVote: true, isLeadershipTransfer: false, granted: [id])
        emitEvent(.becameCandidate(term: term, preVote: true))
        broadcastVoteRequest(VoteRequest(vote: Vote(term: term, votedFor: id), lastLogID: log.last, isPreVote: true, rpcID: nextRPC()))
        checkCampaignQuorum()
    }

    @inlinable mutating func startElection(leadershipTransfer: Bool) {
        let term = max(vote.term, highestTermSeen) + 1
        let candidateVote = Vote(term: term, votedFor: id)
        role = .candidate
        campaign = Campaign(term: term, isPreVote: false, isLeadershipTransfer: leadershipTransfer)
        let selfVoteIO = updateVote(candidateVote)
        campaign?.selfVoteIO = selfVoteIO
        lastLeaderContact = nil
        emitEvent(.becameCandidate(term: term, preVote: false))
        broadcastVoteRequest(VoteRequest(vote: candidateVote, lastLogID: log.last, isPreVote: false, isLeadershipTransfer: leadershipTransfer, rpcID: nextRPC()))
        checkCampaignQuorum()
    }

    @inlinable mutating func broadcastVoteRequest(_ request: VoteRequest) {
        for voter in membership.effective.config.voterIDs.sorted() where voter != id {
            output.append(.send(to: voter, .vote(request)))
        }
    }

    /// Counts this node's own vote once it is durable (called when log I/O completes).
    @inlinable mutating func countSelfVoteIfDurable() {
        guard role == .candidate, let selfVoteIO = campaign?.selfVoteIO, selfVoteIO <= io.flushed else { return }
        campaign?.selfVoteIO = nil
        campaign?.granted.insert(id)
        checkCampaignQuorum()
    }

    @inlinable mutating func checkCampaignQuorum() {
        guard let campaign else { return }
        let quorum = membership.effective.config.quorum
        // A candidate outside its configuration's voters (a learner, Engine+LearnerElection)
        // counts only the voters' grants: the quorum ignores its own.
        let countsLearnerVote = testingFaults.contains(.learnerCampaignsAsVoter) && !isVoter
        guard countsLearnerVote ? isElectionQuorumCountingLearnerVote(campaign.granted) : quorum.isElectionQuorum({ campaign.granted.contains($0) })
        else { return }
        if campaign.isPreVote {
            startElection(leadershipTransfer: false)
        } else if campaign.granted.contains(id) {
            becomeLeader()
        }
    }

    @inlinable mutating func abandonCampaign() {
        campaign = nil
        if role == .candidate || role == .preCandidate { role = .follower }
    }

    /// Manually starts an election (an operator or test trigger).
    @inlinable public mutating func triggerElection() {
        guard isElectable, !votingSuspended, role != .leader else { return }
        startCampaign(leadershipTransfer: false)
    }
}
