import Foundation
import Raft
import RaftFileStore
import RaftTesting
import Synchronization
import Testing

enum BankTypes: RaftTypeConfig {
    typealias Command = BankCommand
    typealias Response = BankResponse
    typealias NodeAddress = String
}

/// Moves money between accounts. Neither operation is idempotent, so every request carries
/// its client's id and a sequence number: the state machine applies it once, however often
/// the client retries it.
struct BankCommand: Codable, Hashable, Sendable {
    enum Operation: Codable, Hashable, Sendable {
        case deposit(account: String, amount: Int)
        case transfer(from: String, to: String, amount: Int)
    }

    var client: UInt64
    var sequence: UInt64
    var operation: Operation
}

enum BankResponse: Codable, Hashable, Sendable {
    /// The balance of the account credited.
    case balance(Int)
    case insufficientFunds
    /// The request is older than what the state machine remembers of its client.
    case requestExpired
}

final class BankStateMachine: RaftStateMachine {
    typealias Types = BankTypes

    /// Everything a snapshot holds: the data, the exactly-once table, and the applied state.
    struct State: Codable {
        var balances: [String: Int] = [:]
        var sessions = ClientSessions<BankResponse>()
        var lastApplied: LogID?
        var membership = StoredMembership<BankTypes>.empty
    }

    private let state = Mutex(State())
    private let latestSnapshot = Mutex<Snapshot<BankTypes>?>(nil)

    /// `apply` only changes memory: the node loop may call it within its own turn.
    var applyNeverBlocks: Bool { true }

    func balance(of account: String) -> Int { state.withLock { $0.balances[account, default: 0] } }

    func appliedState() async throws(StorageError) -> AppliedState<BankTypes> {
        state.withLock { AppliedState(lastApplied: $0.lastApplied, membership: $0.membership) }
    }

    nonisolated(nonsending) func apply(_ entries: [Entry<BankTypes>]) async throws(StorageError) -> [BankResponse] {
        state.withLock { state in
            var responses: [BankResponse] = []
            for entry in entries {
                switch entry.payload {
                case .blank:
                    break
                case .membership(let membership):
                    state.membership = StoredMembership(logID: entry.logID, membership: membership)
                case .command(let command):
                    responses.append(Self.apply(command, at: entry.index, to: &state))
                }
                state.lastApplied = entry.logID
            }
            return responses
        }
    }

    static func apply(_ command: BankCommand, at index: LogIndex, to state: inout State) -> BankResponse {
        switch state.sessions.lookUp(client: command.client, sequence: command.sequence) {
        case .duplicate(let first): return first
        case .expired: return .requestExpired
        case .new: break
        }
        let response: BankResponse
        switch command.operation {
        case let .deposit(account, amount):
            state.balances[account, default: 0] += amount
            response = .balance(state.balances[account]!)
        case let .transfer(from, to, amount):
            if state.balances[from, default: 0] < amount {
                response = .insufficientFunds
            } else {
                state.balances[from]! -= amount
                state.balances[to, default: 0] += amount
                response = .balance(state.balances[to]!)
            }
        }
        state.sessions.record(response, client: command.client, sequence: command.sequence, at: index)
        return response
    }

    func buildSnapshot() async throws(StorageError) -> Snapshot<BankTypes> {
        let current = state.withLock { $0 }
        let meta = SnapshotMeta(
            lastLogID: current.lastApplied, lastMembership: current.membership,
            snapshotID: "\(current.lastApplied.map(\.description) ?? "empty")-\(UInt64.random(in: 0...UInt64.max))")
        do {
            let snapshot = Snapshot(meta: meta, data: try BinaryEncoder().encode(current))
            latestSnapshot.withLock { $0 = snapshot }
            return snapshot
        } catch {
            throw StorageError(subject: .snapshot(id: meta.snapshotID), verb: .write, reason: "\(error)")
        }
    }

    func installSnapshot(_ snapshot: Snapshot<BankTypes>) async throws(StorageError) {
        do {
            let installed = try BinaryDecoder().decode(State.self, from: snapshot.data)
            state.withLock { $0 = installed }
            latestSnapshot.withLock { $0 = snapshot }
        } catch {
            throw StorageError(subject: .snapshot(id: snapshot.meta.snapshotID), verb: .read, reason: "\(error)", isCorruption: true)
        }
    }

    func currentSnapshot() async throws(StorageError) -> Snapshot<BankTypes>? {
        latestSnapshot.withLock { $0 }
    }
}

/// A node with its log on disk and its snapshots too, so a restart recovers the balances:
/// the latest snapshot, then the committed entries after it, applied again.
func startBankNode(directory: String, network: RouterNetwork<BankTypes>) async throws -> (RaftNode<BankTypes>, BankStateMachine) {
    var config = RaftConfig()
    config.engine.snapshotPolicy = .everyAppliedEntries(50)
    config.engine.logsKeptAfterSnapshot = 10
    let bank = BankStateMachine()
    let node = try await RaftNode.start(
        id: 1, config: config,
        logStore: try FileLogStore<BankTypes>(directory: directory + "/log"),
        stateMachine: try DurableSnapshotStateMachine(bank, directory: directory + "/snapshots"),
        network: network)
    return (node, bank)
}

@Suite("Guide: Writing a state machine")
struct WritingAStateMachineTests {
    @Test func aRetriedTransferAppliesOnceAndTheBalancesSurviveARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("guide-bank-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let router = InProcessRouter<BankTypes>()
        var (node, bank) = try await startBankNode(directory: directory, network: router.network(for: 1))
        try await node.initialize(Membership(voters: [1: "node-1"]))
        try await node.wait(until: .state(.leader), timeout: .seconds(60))

        let client: UInt64 = 0xB4_4B
        #expect(try await node.write(BankCommand(client: client, sequence: 1, operation: .deposit(account: "alice", amount: 100))) == .balance(100))
        let transfer = BankCommand(client: client, sequence: 2, operation: .transfer(from: "alice", to: "bob", amount: 30))
        #expect(try await node.write(transfer) == .balance(30))
        // The same request again (a retry after an unknown outcome): answered, not applied.
        #expect(try await node.write(transfer) == .balance(30))
        #expect(bank.balance(of: "alice") == 70)
        for sequence: UInt64 in 3...80 {
            _ = try await node.write(BankCommand(client: client, sequence: sequence, operation: .deposit(account: "carol", amount: 1)))
        }
        try await node.wait(until: .snapshot(atLeast: 50), timeout: .seconds(60))
        await node.shutdown()

        (node, bank) = try await startBankNode(directory: directory, network: router.network(for: 1))
        try await node.waitForRecovery(timeout: .seconds(60))
        #expect(bank.balance(of: "alice") == 70)
        #expect(bank.balance(of: "bob") == 30)
        #expect(bank.balance(of: "carol") == 78)
        // The session table came back with the state: the last deposit is still a duplicate,
        // and the transfer, older than the 32 responses a client's session keeps, is expired.
        try await node.wait(until: .state(.leader), timeout: .seconds(60))
        #expect(try await node.write(BankCommand(client: client, sequence: 80, operation: .deposit(account: "carol", amount: 1))) == .balance(78))
        #expect(try await node.write(transfer) == .requestExpired)
        #expect(bank.balance(of: "bob") == 30)
        #expect(bank.balance(of: "carol") == 78)
        await node.shutdown()
    }
}
