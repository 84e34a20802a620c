import Raft
import RaftCore
import Testing

/// Bad input is a typed error, never a crash (DESIGN §4 "bad input").
@Suite struct MalformedInputTests {
    static let sample: [UInt8] = {
        let entry = RaftCoreRoundTripTests.entries[1]
        return try! BinaryEncoder().encode(entry)
    }()

    @Test func everyTruncationThrows() {
        for length in 0..<Self.sample.count {
            #expect(throws: BinaryDecodingError.self) {
                try BinaryDecoder().decode(Entry<StringTypes>.self, from: Array(Self.sample[..<length]))
            }
        }
    }

    @Test func trailingBytesThrow() {
        #expect(throws: BinaryDecodingError(kind: .trailingBytes, offset: Self.sample.count)) {
            try BinaryDecoder().decode(Entry<StringTypes>.self, from: Self.sample + [0])
        }
    }

    @Test func lengthPastTheEndThrows() {
        #expect(throws: BinaryDecodingError(kind: .lengthOutOfBounds, offset: 0)) {
            try BinaryDecoder().decode([UInt8].self, from: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2])
        }
    }

    @Test func primitiveViolationsThrow() throws {
        func kind<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> BinaryDecodingError.Kind? {
            do {
                _ = try BinaryDecoder().decode(type, from: bytes)
                return nil
            } catch {
                return error.kind
            }
        }
        #expect(kind(Bool.self, [2, 7]) == .invalidBool)
        #expect(kind(String.self, [3, 0xC3, 0x28]) == .invalidUTF8)
        #expect(kind(UInt8.self, [3, 1, 2]) == .valueOutOfRange)
        #expect(kind(UInt16.self, try encoded(UInt64(70_000))) == .valueOutOfRange)
        #expect(kind(Int32.self, try encoded(Int64.max)) == .valueOutOfRange)
        #expect(kind(UInt64.self, [12] + [UInt8](repeating: 0xFF, count: 11)) == .malformedVarint)
        #expect(kind(UInt64.self, [0]) == .unexpectedNil)
        #expect(kind(UInt64.self, [3, 1, 1]) == .trailingBytes)
        #expect(kind(Vote.self, [1]) == .keyNotFound("term"))
        #expect(kind(Double.self, [3, 1, 2]) == .valueOutOfRange)
        #expect(kind([UInt64].self, [0]) == .unexpectedNil)
    }

    @Test func unknownEnumCaseIsInvalidValue() throws {
        let nope = try encoded("nope")
        do {
            _ = try BinaryDecoder().decode(LeaderIDMode.self, from: nope)
            Issue.record("decoding an unknown raw value did not fail")
        } catch {
            guard case .invalidValue = error.kind else {
                Issue.record("unexpected error \(error)")
                return
            }
        }
        let twoCases = try encoded(["blank": [String: Int](), "command": [:]])
        #expect(throws: BinaryDecodingError.self) { try BinaryDecoder().decode(EntryPayload<StringTypes>.self, from: twoCases) }
    }

    indirect enum Chain: Codable {
        case end
        case link(Chain)
    }

    @Test func deepNestingIsBounded() throws {
        var chain = Chain.end
        for _ in 0..<(BinaryDecoder.maxDepth + 10) { chain = .link(chain) }
        let bytes = try encoded(chain)
        #expect(throws: BinaryDecodingError.self) { try BinaryDecoder().decode(Chain.self, from: bytes) }
        var shallow = Chain.end
        for _ in 0..<20 { shallow = .link(shallow) }
        _ = try roundTrip(shallow)
    }

    /// Random damage to a valid encoding and random garbage: decoding may succeed or throw, but
    /// never traps.
    @Test func randomDamageNeverCrashes() {
        var rng = SeededGenerator(seed: 42)
        let samples = RaftCoreRoundTripTests.entries.map { try! BinaryEncoder().encode($0) }
        for round in 0..<3_000 {
            var bytes = samples[round % samples.count]
            switch round % 3 {
            case 0:
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1:
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] = UInt8.random(in: 0...255, using: &rng)
            default:
                bytes = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            _ = try? BinaryDecoder().decode(Entry<StringTypes>.self, from: bytes)
            _ = try? BinaryDecoder().decode(RaftMessage<StringTypes>.self, from: bytes)
            _ = try? BinaryDecoder().decode(KVCommand.self, from: bytes)
        }
    }

    @Test func misusedSingleValueContainerIsAnEncodingError() {
        struct Twice: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(1)
                try container.encode(2)
            }
        }
        #expect(throws: BinaryEncodingError.self) { try BinaryEncoder().encode(Twice()) }
        var buffer: [UInt8] = [1, 2, 3]
        #expect(throws: BinaryEncodingError.self) { try BinaryEncoder().encode([Twice()], appendingTo: &buffer) }
        #expect(buffer == [1, 2, 3])
    }
}
