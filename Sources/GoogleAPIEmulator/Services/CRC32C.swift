/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Cloud Storage and Secret
/// Manager use.
enum CRC32C {
    /// The checksum of `bytes`, continuing from `crc` (the checksum of what came before; 0 to start).
    static func checksum(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        var value = ~crc
        for byte in bytes {
            value = table[Int((value ^ UInt32(byte)) & 0xFF)] ^ (value >> 8)
        }
        return ~value
    }

    /// Base64 of the checksum's four big-endian bytes, as in Cloud Storage's `crc32c` field.
    static func base64(_ crc: UInt32) -> String {
        Base64.encode([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) })
    }

    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1
        }
        return value
    }
}
