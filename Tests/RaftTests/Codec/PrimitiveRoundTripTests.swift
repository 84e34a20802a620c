import Raft
import Testing

@Suite struct PrimitiveRoundTripTests {
    @Test func integersAtTheirLimits() throws {
        for value in [Int.min, -1, 0, 1, Int.max] { #expect(try roundTrip(value) == value) }
        for value in [Int8.min, -1, 0, Int8.max] { #expect(try roundTrip(value) == value) }
        for value in [Int16.min, 0, Int16.max] { #expect(try roundTrip(value) == value) }
        for value in [Int32.min, 0, Int32.max] { #expect(try roundTrip(value) == value) }
        for value in [Int64.min, 0, Int64.max] { #expect(try roundTrip(value) == value) }
        for value in [UInt.min, UInt.max] { #expect(try roundTrip(value) == value) }
        for value in [UInt8.min, 127, 128, UInt8.max] { #expect(try roundTrip(value) == value) }
        for value in [UInt16.min, UInt16.max] { #expect(try roundTrip(value) == value) }
        for value in [UInt32.min, UInt32.max] { #expect(try roundTrip(value) == value) }
        for value in [UInt64.min, 127, 128, 16_383, 16_384, UInt64.max] { #expect(try roundTrip(value) == value) }
    }

    @Test func smallNumbersTakeFewBytes() throws {
        #expect(try encoded(UInt64(5)) == [2, 5])
        #expect(try encoded(Int(-1)) == [2, 1])
        #expect(try encoded(UInt64.max).count == 11)
    }

    @Test func floatingPointKeepsItsBits() throws {
        for value in [0.0, -0.0, 1.5, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude] {
            #expect(try roundTrip(value).bitPattern == value.bitPattern)
        }
        #expect(try roundTrip(Double.nan).isNaN)
        #expect(try roundTrip(Float(3.25)) == 3.25)
    }

    @Test func stringsAndBytes() throws {
        for value in ["", "a", "héllo wörld", "日本語", "🦀🐦", String(repeating: "x", count: 10_000)] {
            #expect(try roundTrip(value) == value)
        }
        let bytes: [UInt8] = (0..<300).map { UInt8($0 % 256) }
        #expect(try roundTrip(bytes) == bytes)
        #expect(try encoded(bytes).count == bytes.count + 2)
        #expect(try roundTrip([UInt8]()) == [])
        #expect(try roundTrip(true) == true)
        #expect(try roundTrip(false) == false)
    }

    @Test func optionalsAndCollections() throws {
        let optionals: [Int?] = [1, nil, 3]
        #expect(try roundTrip(optionals) == optionals)
        let none: String? = nil
        #expect(try roundTrip(none) == nil)
        let some: String? = "x"
        #expect(try roundTrip(some) == "x")
        let nested: [[String]] = [[], ["a"], ["b", "c"]]
        #expect(try roundTrip(nested) == nested)
        let byteArrays: [[UInt8]?] = [[1, 2], nil, []]
        #expect(try roundTrip(byteArrays) == byteArrays)
        let stringKeys = ["b": 2, "a": 1, "": 0]
        #expect(try roundTrip(stringKeys) == stringKeys)
        let intKeys = [-5: "m", 7: "s"]
        #expect(try roundTrip(intKeys) == intKeys)
        let uintKeys: [UInt64: [String]] = [9: ["x"], 2: []]
        #expect(try roundTrip(uintKeys) == uintKeys)
        let set: Set<UInt64> = [5, 1, 99]
        #expect(try roundTrip(set) == set)
    }

    struct WithOptionals: Codable, Equatable {
        var required: String
        var maybe: Int?
        var list: [UInt64]
    }

    @Test func structsWithAbsentOptionals() throws {
        let full = WithOptionals(required: "r", maybe: 4, list: [1, 2])
        let sparse = WithOptionals(required: "", maybe: nil, list: [])
        #expect(try roundTrip(full) == full)
        #expect(try roundTrip(sparse) == sparse)
        #expect(try encoded(sparse).count < encoded(full).count)
    }

    /// Pins the wire format: a change here breaks every stored log and every peer.
    @Test func goldenEncoding() throws {
        struct Point: Codable { var x: UInt64; var name: String }
        #expect(try encoded(Point(x: 3, name: "ab")) == [
            13,                      // frame: 12 content bytes
            1, 0x78, 2, 3,           // key "x", frame of varint 3
            4, 0x6E, 0x61, 0x6D, 0x65, 3, 0x61, 0x62, // key "name", frame "ab"
        ])
    }
}
