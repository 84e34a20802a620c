import Raft
import Testing

@Suite struct CRC32CTests {
    /// Check values from RFC 3720 (iSCSI), appendix B.4, and the common "123456789" check.
    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    /// The slicing loop agrees with a bytewise reference at every length and alignment.
    @Test func matchesBitwiseReference() {
        func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        var random = SeededGenerator(seed: 3)
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &random) }
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 7) {
                #expect(CRC32C.checksum(data[start..<end]) == reference(data[start..<end]))
            }
        }
    }

    @Test func incrementalUpdatesCompose() {
        let bytes = Array("the quick brown fox jumps over the lazy dog".utf8)
        let split = CRC32C.update(CRC32C.update(CRC32C.initialState, bytes[..<13]), bytes[13...])
        #expect(CRC32C.finalize(split) == CRC32C.checksum(bytes))
    }
}
