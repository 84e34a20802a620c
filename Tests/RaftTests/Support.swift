import Raft
import RaftCore

/// A type configuration with plain string commands and responses.
enum StringTypes: RaftTypeConfig {
    typealias Command = String
    typealias Response = String
    typealias NodeAddress = String
}

/// A seeded generator so failures replay: the engine's own SplitMix64.
typealias SeededGenerator = SplitMix64

func encoded<T: Encodable>(_ value: T) throws -> [UInt8] {
    try BinaryEncoder().encode(value)
}

func roundTrip<T: Codable>(_ value: T) throws -> T {
    try BinaryDecoder().decode(T.self, from: try encoded(value))
}

/// A test log store that changes one behaviour of `MemoryLogStore` and forwards the rest to
/// `base`; conformers implement only the operations they alter.
protocol MemoryBackedLogStore: RaftLogStorage where Types == KVTypes {
    var base: MemoryLogStore<KVTypes> { get }
}

extension MemoryBackedLogStore {
    func logState() async throws(StorageError) -> LogState { try await base.logState() }
    func entries(in range: Range<LogIndex>) async throws(StorageError) -> [Entry<KVTypes>] { try await base.entries(in: range) }
    func append(_ entries: [Entry<KVTypes>], onDurable: @escaping LogFlushCallback) async throws(StorageError) {
        try await base.append(entries, onDurable: onDurable)
    }
    func truncate(after logID: LogID?) async throws(StorageError) { try await base.truncate(after: logID) }
    func purge(upTo logID: LogID) async throws(StorageError) { try await base.purge(upTo: logID) }
    func saveVote(_ vote: Vote) async throws(StorageError) { try await base.saveVote(vote) }
    func readVote() async throws(StorageError) -> Vote? { try await base.readVote() }
    func saveCommitted(_ committed: LogID?) async throws(StorageError) { try await base.saveCommitted(committed) }
    func readCommitted() async throws(StorageError) -> LogID? { try await base.readCommitted() }
}

/// Writes `command` to the node `leader` names (nil: none yet), retrying what a client
/// retries (redirects, lost leadership) until `timeout` passes.
nonisolated(nonsending) func writeFollowingRedirects(
    _ command: KVCommand, timeout: Duration, leader: () async throws -> RaftNode<KVTypes>?
) async throws -> KVResponse {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let leader = try await leader() {
            do {
                return try await leader.write(command)
            } catch {
                // Tests write puts, which are idempotent: an unknown outcome is retried too.
                guard error.isRetryable || error.mayHaveBeenApplied, ContinuousClock.now < deadline else { throw error }
            }
        } else if ContinuousClock.now >= deadline {
            throw ClusterTimeout(what: "a leader")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Writes through whichever of `nodes` leads, following leader changes the way a client does.
/// On a loaded machine a test process can starve a cluster of CPU for an election timeout,
/// and its leader then steps down (check-quorum); tests that are about something else use
/// this rather than writing to one node and failing on the redirect.
@discardableResult
func writeThroughLeader(_ nodes: [RaftNode<KVTypes>], _ command: KVCommand, timeout: Duration = .seconds(10)) async throws -> KVResponse {
    try await writeFollowingRedirects(command, timeout: timeout) { nodes.first { $0.metrics.isLeader } }
}
