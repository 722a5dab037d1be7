import CGnuTLS

/// Message digests computed by GnuTLS.
public enum Digest {
    /// The SHA-256 of `bytes` (32 bytes).
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        let result = bytes.withUnsafeBytes { gnutls_hash_fast(GNUTLS_DIG_SHA256, $0.baseAddress, $0.count, &output) }
        precondition(result == 0, "SHA-256 is unavailable: \(GnuTLS.describe(result))")
        return output
    }

    /// Lowercase hex of a digest or any bytes.
    public static func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }
}
