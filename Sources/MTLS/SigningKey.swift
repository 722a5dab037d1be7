import CGnuTLS

/// A private key that signs data, such as a service account's RSA key signing a JWT (RS256).
///
/// Load once and reuse; it is immutable and safe to share. The key bytes given to `pem` are not
/// kept (GnuTLS holds its own copy), so the caller may wipe them.
public struct SigningKey: Sendable {
    let key: PrivateKey

    /// A key from PEM (PKCS#1, SEC1, PKCS#8, or encrypted PKCS#8 with `passphrase`).
    ///
    /// `source` names where the key came from (a file path, "the service account key") for errors.
    public init(pem: [UInt8], passphrase: String? = nil, source: String) throws {
        key = try PrivateKey.pem(pem, passphrase: passphrase, source: source)
    }

    /// The key inside `identity`, so a workload certificate's key can sign too.
    public init(identity: ClientIdentity) { key = identity.material.key }

    /// Signs SHA-256 of `data`: RSASSA-PKCS1-v1_5 for RSA keys (JWT `RS256`), DER ECDSA for EC keys.
    public func signSHA256(_ data: [UInt8]) throws -> [UInt8] {
        var signature = gnutls_datum_t()
        let result = GnuTLS.withDatum(data) { gnutls_privkey_sign_data(key.handle, GNUTLS_DIG_SHA256, 0, &$0, &signature) }
        try GnuTLS.check(result, .malformedInput, "the key cannot sign with SHA-256")
        return GnuTLS.take(&signature)
    }

    /// Whether `signature` is this key's RSASSA-PKCS1-v1_5 SHA-256 signature of `data` (JWT `RS256`).
    public func verifySHA256(_ data: [UInt8], signature: [UInt8]) -> Bool {
        var publicKey: gnutls_pubkey_t?
        guard gnutls_pubkey_init(&publicKey) >= 0 else { return false }
        defer { gnutls_pubkey_deinit(publicKey) }
        guard gnutls_pubkey_import_privkey(publicKey, key.handle, 0, 0) >= 0 else { return false }
        let result = GnuTLS.withDatum(data) { message in
            GnuTLS.withDatum(signature) { gnutls_pubkey_verify_data2(publicKey, GNUTLS_SIGN_RSA_SHA256, 0, &message, &$0) }
        }
        return result >= 0
    }

    /// Whether this is an RSA key (JWT RS256 needs one).
    public var isRSA: Bool {
        gnutls_privkey_get_pk_algorithm(key.handle, nil) == Int32(GNUTLS_PK_RSA.rawValue)
    }
}
