import Testing

@testable import GoogleAPIEmulator

@Suite struct ChecksumTests {
    private func hex(_ digest: [UInt8]) -> String {
        digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test func md5MatchesKnownVectors() {
        #expect(hex(MD5.digest([])) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(hex(MD5.digest(bytes(quickFox))) == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(hex(MD5.digest(bytes("abcdefghijklmnopqrstuvwxyz"))) == "c3fcd3d76192e4007dfb496cca67e13b")
    }

    @Test func md5HandlesMessagesSpanningSeveralBlocks() {
        let digits = String(repeating: "1234567890", count: 8)
        #expect(hex(MD5.digest(bytes(digits))) == "57edf4a22be3c955ac49da2e2107b67a")
    }

    @Test func crc32cMatchesKnownVectors() {
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.checksum(bytes("123456789")) == 0xE306_9283)
        #expect(CRC32C.checksum(bytes(quickFox)) == 0x2262_0404)
    }

    @Test func crc32cContinuesAcrossChunks() {
        let whole = bytes(quickFox)
        let first = CRC32C.checksum(Array(whole[..<10]))
        #expect(CRC32C.checksum(Array(whole[10...]), continuing: first) == CRC32C.checksum(whole))
    }

    @Test func checksumsEncodeAsCloudStorageWritesThem() {
        #expect(CRC32C.base64(0) == "AAAAAA==")
        #expect(CRC32C.base64(0x2262_0404) == "ImIEBA==")
        #expect(Base64.encode(MD5.digest(bytes(quickFox))) == "nhB9nTcrtoJr2B01QqQZ1g==")
    }
}
