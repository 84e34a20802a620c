import DequeModule

extension RaftEngine {
    /// Starts a membership change (leader only). A change of voters goes through a joint
    /// configuration `[old, new]`, then `[new]` once the joint one commits; a change of
    /// learners alone takes one entry. The answer comes as a ``EngineReply/membershipChange(_:)``
    /// reply once the final configuration commits.
    ///
    /// - Parameters:
    ///   - change: the change, applied to the effective (uniform) membership.
    ///   - token: names the caller in the reply.
    ///   - retainRemovedVoters: removed voters stay as learners instead of leaving.
    ///   - expectedMembershipLogID: when set, the change applies only if the effective
    ///     membership is still the one carried by this entry (a conditional change).
    @inlinable public mutating func changeMembership(
        _ change: MembershipChange<T>, retainRemovedVoters: Bool, expectedMembershipLogID: LogID?? = nil, token: RequestToken?
    ) throws(MembershipChangeFailure) {
        guard role == .leader, let state = leader, !state.removedFromMembership, !state.leadsAsNonVoter else { throw .forwardToLeader(forwardTarget) }
        let current = membership.effective
        if let expected = expectedMembershipLogID, expected != current.logID {
            throw .rejected(.membershipChanged(expected: expected, actual: current.logID))
        }
        guard state.membershipChange == nil, !membership.hasUncommitted, !current.config.isJoint else {
            throw .rejected(.changeInProgress(pending: current.logID))
        }
        let target: Membership<T>
        do {
            target = try current.membership.applying(change, retainRemovedVoters: retainRemovedVoters)
        } catch {
            throw .rejected(error)
        }
        if target == current.membership, let logID = current.logID {
            // Nothing to change (a learner added again, a voter promoted twice): the committed
            // configuration already is the requested one, so a retried call does not append.
            if let token { output.append(.reply(token, .membershipChange(.success(logID)))) }
            return
        }
        leader!.membershipChange = MembershipChangeInFlight(token: token, target: target)
        if target.config.voterSets == current.config.voterSets {
            appendMembership(target)
        } else {
            let joint = MembershipConfig(voterSets: [current.config.voterSets[0], target.config.voterSets[0]], learners: target.config.learners)
            let addresses = current.membership.addresses.merging(target.addresses) { _, new in new }
            appendMembership(Membership(config: joint, addresses: addresses).prunedAddresses())
        }
    }

    @inlinable mutating func appendMembership(_ newMembership: Membership<T>) {
        precondition(newMembership.config.validationError == nil, "only valid memberships are appended")
        let entry = Entry<T>(logID: LogID(leaderID: leader!.leaderID, index: log.lastIndex + 1), payload: .membership(newMembership))
        appendToLog([entry])
        advanceCommit()
    }

    /// A membership entry committed on this leader: finish a joint change, answer the caller,
    /// and hand over leadership if this node is no longer a voter.
    @inlinable mutating func leaderMembershipCommitted(_ stored: StoredMembership<T>) {
        guard leader != nil else { return }
        if stored.config.isJoint {
            // Leave the joint configuration, also when a previous leader started the change,
            // unless a later membership entry (the final one, or another change) follows it:
            // several entries can commit at once under a new leader.
            if membership.effective.logID == stored.logID {
                let final = Membership<T>(config: stored.config.finalConfig, addresses: stored.membership.addresses).prunedAddresses()
                appendMembership(final)
            }
            return
        }
        if let change = leader!.membershipChange, change.target.config.voterSets == stored.config.voterSets {
            leader!.membershipChange = nil
            if let token = change.token { output.append(.reply(token, .membershipChange(.success(stored.logID!)))) }
        }
        if !stored.config.isVoter(id) && !membership.effective.config.isVoter(id) {
            leader!.removedFromMembership = true
        }
    }

    /// A leader removed from the voters has just had the final configuration committed (or a
    /// learner elected for its newer log has had its first entry committed): followers learn
    /// the commit point in this step; then the most caught-up voter that may vote is told to
    /// campaign at once and this node steps down (Raft §6: the leader manages the cluster until
    /// the configuration without it commits).
    @inlinable mutating func handOver(_ reason: StepDownReason) {
        guard let state = leader else { return }
        let voters = membership.effective.config.voterIDs
        var best: (peer: NodeID, matched: LogID?)?
        for peer in state.peerOrder where voters.contains(peer) && state.progress[peer]!.votingSuspended != true {
            let matched = state.progress[peer]!.matched
            if best == nil || logIDLess(best!.matched, matched) { best = (peer, matched) }
        }
        if let best {
            output.append(.send(to: best.peer, .timeoutNow(TimeoutNowRequest(vote: vote, lastLogID: log.last, rpcID: nextRPC()))))
        }
        stepDown(reason)
    }

    /// On becoming leader, finish a joint change a previous leader left behind.
    @inlinable mutating func finishInheritedJointChange() {
        guard role == .leader, !membership.hasUncommitted, membership.committed.config.isJoint else { return }
        leaderMembershipCommitted(membership.committed)
    }
}
