/// Names one log entry: the leadership that created it and its index.
///
/// Two entries with the same `LogID` hold the same payload (log matching). Ordering is by
/// `(leaderID, index)`, which is the Raft "more up to date" comparison: last term first, then
/// last index (field lesson 3).
public struct LogID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The leadership that created the entry.
    public var leaderID: LeaderID
    /// The entry's position in the log (1-based).
    public var index: LogIndex

    /// The id of entry `index` written by `leaderID`.
    @inlinable public init(leaderID: LeaderID, index: LogIndex) {
        self.leaderID = leaderID
        self.index = index
    }

    /// The id of entry `index` written by node `nodeID` leading term `term`.
    @inlinable public init(term: Term, nodeID: NodeID, index: LogIndex) {
        self.init(leaderID: LeaderID(term: term, nodeID: nodeID), index: index)
    }

    /// The term of the leadership that created the entry.
    @inlinable public var term: Term { leaderID.term }

    @inlinable public static func < (lhs: LogID, rhs: LogID) -> Bool {
        if lhs.leaderID != rhs.leaderID { return lhs.leaderID < rhs.leaderID }
        return lhs.index < rhs.index
    }

    @inlinable public var description: String { "\(leaderID.term)-\(leaderID.nodeID)-\(index)" }
}

/// Helpers for optional log ids (nil: before the first entry).
extension Optional where Wrapped == LogID {
    /// The index of an optional log id, 0 when there is none.
    @inlinable public var indexOrZero: LogIndex { self?.index ?? 0 }
}

/// Compares two optional log ids where `nil` (an empty log) is the smallest.
@inlinable
func logIDLess(_ lhs: LogID?, _ rhs: LogID?) -> Bool {
    switch (lhs, rhs) {
    case (nil, nil): return false
    case (nil, _): return true
    case (_, nil): return false
    case let (l?, r?): return l < r
    }
}

@inlinable
func maxLogID(_ lhs: LogID?, _ rhs: LogID?) -> LogID? {
    logIDLess(lhs, rhs) ? rhs : lhs
}
