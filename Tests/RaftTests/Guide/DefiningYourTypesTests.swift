import Raft
import Testing

/// Where a node's peers reach it. It travels inside membership entries, so it is `Codable`;
/// the node keeps addresses in dictionaries and compares them, so it is `Hashable`.
struct ServerAddress: Codable, Hashable, Sendable {
    var host: String
    var port: Int
}

/// What a client asks the replicated queue to do. Commands are stored in the log and sent to
/// followers, so they are `Codable`.
enum QueueCommand: Codable, Hashable, Sendable {
    case push(String)
    case pop
}

/// What the state machine answers, one per applied command. It only travels from the state
/// machine to the caller on the same node, so `Sendable` is enough.
enum QueueResponse: Hashable, Sendable {
    case pushed(count: Int)
    case popped(String?)
}

/// The application's choice of types, named once and passed to every generic part.
enum QueueTypes: RaftTypeConfig {
    typealias Command = QueueCommand
    typealias Response = QueueResponse
    typealias NodeAddress = ServerAddress

    /// Flow control limits the bytes in flight to each follower and in each message; count
    /// the payload, not the enum's fixed in-memory size.
    static func byteCount(of command: QueueCommand) -> Int {
        switch command {
        case .push(let item): return 1 + item.utf8.count
        case .pop: return 1
        }
    }
}

extension GuideSuites {
    @Suite("Guide: Defining your types")
    struct DefiningYourTypesTests {
        @Test func entriesOfTheTypesRoundTripThroughTheBinaryCoder() throws {
            let membership = Membership<QueueTypes>(voters: [
                1: ServerAddress(host: "10.0.0.1", port: 7001), 2: ServerAddress(host: "10.0.0.2", port: 7001),
                3: ServerAddress(host: "10.0.0.3", port: 7001),
            ])
            let entries = [
                Entry<QueueTypes>(logID: LogID(term: 1, nodeID: 1, index: 1), payload: .membership(membership)),
                Entry<QueueTypes>(logID: LogID(term: 1, nodeID: 1, index: 2), payload: .command(.push("job-17"))),
            ]
            let decoded = try BinaryDecoder().decode([Entry<QueueTypes>].self, from: BinaryEncoder().encode(entries))
            #expect(decoded[0].membership?.address(of: 2) == ServerAddress(host: "10.0.0.2", port: 7001))
            guard case .command(.push(let item)) = decoded[1].payload else { Issue.record("not a push: \(decoded[1].payload)"); return }
            #expect(item == "job-17")
            #expect(QueueTypes.byteCount(of: .push("job-17")) == 7)
            #expect(entries[1].byteCount - Entry<QueueTypes>(logID: entries[1].logID, payload: .blank).byteCount == 7)
        }
    }
}
