import Raft
import RaftCore
import Testing

@Suite struct DeterminismTests {
    @Test func setsAndDictionariesEncodeInSortedOrder() throws {
        var rng = SeededGenerator(seed: 7)
        let keys = (0..<200).map { _ in UInt64.random(in: 0..<1_000_000, using: &rng) }
        var forward: [UInt64: String] = [:]
        for key in keys { forward[key] = "v\(key)" }
        var backward: [UInt64: String] = [:]
        for key in keys.reversed() { backward[key] = "v\(key)" }
        #expect(try encoded(forward) == encoded(backward))
        #expect(try encoded(Set(keys)) == encoded(Set(keys.reversed())))

        var stringsForward: [String: Int] = [:]
        var stringsBackward: [String: Int] = [:]
        for key in keys { stringsForward["k\(key)"] = Int(key % 100) }
        for key in keys.reversed() { stringsBackward["k\(key)"] = Int(key % 100) }
        #expect(try encoded(stringsForward) == encoded(stringsBackward))
    }

    /// A membership built in two insertion orders must be the same bytes on every node, or
    /// byte-level comparisons (checksums of snapshots, golden files) would flap.
    @Test func membershipEncodingIsStable() throws {
        let first = Membership<StringTypes>(voters: [1: "a", 2: "b", 3: "c"], learners: [9: "z"])
        var second = Membership<StringTypes>(voters: [3: "c", 2: "b", 1: "a"], learners: [9: "z"])
        second.addresses = Dictionary(uniqueKeysWithValues: second.addresses.sorted { $0.key > $1.key })
        #expect(try encoded(first) == encoded(second))
    }

    /// Containers that a type fills out of order (a nested container written after its parent
    /// moved on) still land at the right place.
    @Test func deferredNestedContainersAreSpliced() throws {
        struct Interleaved: Codable, Equatable {
            var a: [String]
            var b: String
            var c: UInt64

            enum CodingKeys: String, CodingKey { case a, b, c }

            init(a: [String], b: String, c: UInt64) {
                self.a = a
                self.b = b
                self.c = c
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                var nested = container.nestedUnkeyedContainer(forKey: .a)
                try container.encode(b, forKey: .b)
                for item in a { try nested.encode(item) }
                try container.encode(c, forKey: .c)
            }
        }
        let value = Interleaved(a: ["x", "y"], b: "middle", c: 42)
        #expect(try roundTrip(value) == value)
    }
}
