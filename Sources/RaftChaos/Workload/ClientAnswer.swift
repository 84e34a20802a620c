/// How one request to the store ended, as a client can tell.
public enum ClientAnswer<Value: Sendable>: Sendable {
    /// Answered: it took effect (or, for a read, observed) exactly once.
    case ok(Value)
    /// Refused before it could take effect: a definite "not done".
    case fail(String)
    /// No answer that settles it: a timeout, a lost connection, an "outcome unknown" error.
    case unknown(String)
}

/// The read levels the workload uses; stale reads are never checked for linearizability.
public enum ReadConsistency: String, Sendable, CaseIterable {
    case linearizable
    case lease
    case stale
}

/// The requests chaos clients send, whatever carries them.
public protocol ChaosStoreClient: Sendable {
    func get(_ key: String, from node: Int, consistency: ReadConsistency) async -> ClientAnswer<String?>
    func put(_ key: String, _ value: String, on node: Int) async -> ClientAnswer<Void>
    /// Sets `new` if the key holds `expected` (nil: absent); ok(false) when it did not.
    func compareAndSet(_ key: String, expected: String?, new: String, on node: Int) async -> ClientAnswer<Bool>
}
