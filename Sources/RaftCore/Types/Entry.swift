/// What one log entry carries.
public enum EntryPayload<T: RaftTypeConfig>: Sendable {
    /// No content. A new leader appends one to commit entries of earlier terms (Figure 8).
    case blank
    /// A membership configuration, effective as soon as it is appended.
    case membership(Membership<T>)
    /// An application command for the state machine.
    case command(T.Command)
}

extension EntryPayload: Codable {}

/// One entry of the replicated log.
public struct Entry<T: RaftTypeConfig>: Sendable, Codable {
    /// The entry's id.
    public var logID: LogID
    /// What the entry carries.
    public var payload: EntryPayload<T>

    /// An entry with id and payload.
    @inlinable public init(logID: LogID, payload: EntryPayload<T>) {
        self.logID = logID
        self.payload = payload
    }

    /// The entry's index.
    @inlinable public var index: LogIndex { logID.index }

    /// The membership this entry carries, if any.
    @inlinable public var membership: Membership<T>? {
        if case .membership(let membership) = payload { return membership }
        return nil
    }

    /// Flow-control size estimate: a fixed header plus the command's own estimate.
    @inlinable public var byteCount: Int {
        switch payload {
        case .blank: return Self.headerByteCount
        case .membership(let membership): return Self.headerByteCount + 16 * membership.config.allNodeIDs.count
        case .command(let command): return Self.headerByteCount + T.byteCount(of: command)
        }
    }

    @inlinable static var headerByteCount: Int { 32 }
}

extension Entry: CustomStringConvertible {
    @inlinable public var description: String {
        switch payload {
        case .blank: return "\(logID):blank"
        case .membership(let membership): return "\(logID):membership(\(membership.config))"
        case .command: return "\(logID):command"
        }
    }
}
