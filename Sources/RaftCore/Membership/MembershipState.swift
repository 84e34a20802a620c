/// The memberships a node knows: the last committed one and those appended after it.
///
/// A membership takes effect as soon as it is appended (Raft §6), so the *effective*
/// membership is the newest one in the log, committed or not.
@usableFromInline struct MembershipState<T: RaftTypeConfig>: Sendable {
    @usableFromInline var committed: StoredMembership<T>
    /// Membership entries after the commit point, in log order.
    @usableFromInline var uncommitted: [StoredMembership<T>]

    @inlinable init(committed: StoredMembership<T>, uncommitted: [StoredMembership<T>]) {
        self.committed = committed
        self.uncommitted = uncommitted
    }

    /// Yielded in place rather than returned: a returned copy retains and releases the
    /// configuration's buffers, and the engine reads this several times per step (voter
    /// checks, quorums, invariants).
    @inlinable var effective: StoredMembership<T> {
        _read {
            if uncommitted.isEmpty {
                yield committed
            } else {
                yield uncommitted[uncommitted.count - 1]
            }
        }
    }

    @inlinable var hasUncommitted: Bool { !uncommitted.isEmpty }

    @inlinable mutating func append(_ stored: StoredMembership<T>) {
        precondition(logIDLess(effective.logID, stored.logID), "memberships are appended in log order")
        uncommitted.append(stored)
    }

    /// Marks every membership up to `index` committed; returns those that became committed.
    @discardableResult
    @inlinable mutating func commit(upTo index: LogIndex) -> [StoredMembership<T>] {
        var newlyCommitted: [StoredMembership<T>] = []
        while let first = uncommitted.first, first.logID.indexOrZero <= index {
            newlyCommitted.append(uncommitted.removeFirst())
        }
        if let last = newlyCommitted.last { committed = last }
        return newlyCommitted
    }

    /// Forgets memberships whose entries were truncated away.
    @inlinable mutating func truncate(after index: LogIndex) {
        while let last = uncommitted.last, last.logID.indexOrZero > index { uncommitted.removeLast() }
    }

    /// Starts over from a snapshot's membership, keeping later memberships of a kept suffix.
    @inlinable mutating func reset(committed newCommitted: StoredMembership<T>, keepingAfter index: LogIndex?) {
        committed = newCommitted
        if let index {
            uncommitted.removeAll { $0.logID.indexOrZero <= index }
        } else {
            uncommitted.removeAll()
        }
    }
}
