import CGnuTLS
import FoundationEssentials
import Glibc

/// The kind of key to generate for a certificate.
public enum KeyType: Sendable, Hashable {
    /// RSA with a modulus of `bits` bits (2048 or more; generation takes a moment).
    case rsa(bits: Int)
    /// ECDSA on NIST P-256.
    case ecdsaP256
    /// ECDSA on NIST P-384.
    case ecdsaP384
    /// Ed25519.
    case ed25519
}

/// How a generated private key is written out.
public enum PrivateKeyFormat: Sendable, Hashable {
    /// Unencrypted PKCS#8 (`BEGIN PRIVATE KEY`).
    case pkcs8
    /// The algorithm's own form: PKCS#1 for RSA (`BEGIN RSA PRIVATE KEY`), SEC1 for ECDSA (`BEGIN EC PRIVATE KEY`).
    case traditional
    /// PKCS#8 encrypted with AES-256 under `passphrase` (`BEGIN ENCRYPTED PRIVATE KEY`).
    case encryptedPKCS8(passphrase: String)
}

/// A certificate authority made in-process with GnuTLS: issues server and client certificates for
/// tests and the local emulator, so no key or certificate ever needs to be checked in.
///
/// Keys live in memory only; write them out with `IssuedCertificate.write(...)` when a file is needed.
public final class CertificateAuthority: Sendable {
    /// The CA's own certificate (self-signed for a root, signed by its parent for an intermediate).
    public let certificate: Certificate
    /// The chain above this CA's certificate, excluding the root (empty for a root).
    let parents: [Certificate]
    let key: GeneratedKey

    /// A new self-signed root CA.
    public init(commonName: String = "swift-google-mtls test CA", keyType: KeyType = .ecdsaP256,
                notBefore: Date = Date() - 3600, notAfter: Date = Date() + 10 * 365 * 86400) throws {
        key = try GeneratedKey(keyType)
        parents = []
        isIntermediate = false
        certificate = try CertificateBuilder(subject: "CN=\(commonName),O=swift-google-mtls", key: key,
                                             notBefore: notBefore, notAfter: notAfter)
            .ca().sign(issuer: nil, issuerKey: key)
    }

    /// A new intermediate CA signed by `issuer`. `isCA: false` makes a broken one whose certificate
    /// lacks the CA constraint (to test that clients refuse what it signs).
    public init(intermediateOf issuer: CertificateAuthority, commonName: String, keyType: KeyType = .ecdsaP256,
                notBefore: Date = Date() - 3600, notAfter: Date = Date() + 5 * 365 * 86400, isCA: Bool = true) throws {
        key = try GeneratedKey(keyType)
        parents = issuer.chainAbove
        isIntermediate = true
        let builder = try CertificateBuilder(subject: "CN=\(commonName),O=swift-google-mtls", key: key,
                                             notBefore: notBefore, notAfter: notAfter)
        certificate = try (isCA ? builder.ca() : builder.notCA())
            .sign(issuer: issuer.certificate, issuerKey: issuer.key)
    }

    private let isIntermediate: Bool

    /// A root CA loaded from its PEM certificate and key (as `write(certificateTo:keyTo:)` saved them).
    public init(certificatePEM: [UInt8], keyPEM: [UInt8], source: String) throws {
        guard let certificate = try Certificate.parseChain(pem: certificatePEM, source: source).first else {
            throw TLSError(.malformedInput, "\(source) holds no CA certificate")
        }
        guard certificate.isCertificateAuthority else {
            throw TLSError(.malformedInput, "the certificate in \(source) is not a CA certificate")
        }
        key = try GeneratedKey(pem: keyPEM, source: source)
        parents = []
        isIntermediate = false
        self.certificate = certificate
    }

    /// Writes the CA certificate and its key (mode 0600) as PEM files, to load it again later.
    public func write(certificateTo certificatePath: String, keyTo keyPath: String) throws {
        try FileBytes.writePrivate(Array(certificatePEM.utf8), to: certificatePath, what: "CA certificate file")
        var bytes = try key.export(.pkcs8)
        defer { bytes.zeroize() }
        try FileBytes.writePrivate(bytes, to: keyPath, what: "CA key file")
    }

    /// The CA certificate as PEM, to give to peers as their trust root.
    public var certificatePEM: String { certificate.pem }

    /// A server certificate for the given DNS names (wildcards allowed) and IP addresses;
    /// `sha1: true` signs it with SHA-1 (to test that clients refuse it).
    public func makeServerCertificate(dnsNames: [String], ipAddresses: [String] = [], keyType: KeyType = .ecdsaP256,
                                      notBefore: Date = Date() - 3600, notAfter: Date = Date() + 30 * 86400,
                                      sha1: Bool = false) throws -> IssuedCertificate {
        let leafKey = try GeneratedKey(keyType)
        let builder = try CertificateBuilder(subject: "CN=\(dnsNames.first ?? ipAddresses.first ?? "server"),O=swift-google-mtls",
                                             key: leafKey, notBefore: notBefore, notAfter: notAfter)
            .names(dns: dnsNames, ip: ipAddresses).purpose(GNUTLS_KP_TLS_WWW_SERVER)
        return IssuedCertificate(certificate: try builder.sign(issuer: certificate, issuerKey: key,
                                                               digest: sha1 ? GNUTLS_DIG_SHA1 : nil),
                                 intermediates: chainAbove, key: leafKey)
    }

    /// A self-signed server certificate (no CA at all) for the given DNS names.
    public static func makeSelfSignedServerCertificate(dnsNames: [String]) throws -> IssuedCertificate {
        let leafKey = try GeneratedKey(.ecdsaP256)
        let builder = try CertificateBuilder(subject: "CN=\(dnsNames.first ?? "server"),O=swift-google-mtls", key: leafKey,
                                             notBefore: Date() - 3600, notAfter: Date() + 30 * 86400)
            .names(dns: dnsNames, ip: []).purpose(GNUTLS_KP_TLS_WWW_SERVER)
        return IssuedCertificate(certificate: try builder.sign(issuer: nil, issuerKey: leafKey), intermediates: [], key: leafKey)
    }

    /// A client certificate (clientAuth) with the given common name.
    public func makeClientCertificate(commonName: String, keyType: KeyType = .ecdsaP256,
                                      notBefore: Date = Date() - 3600, notAfter: Date = Date() + 30 * 86400) throws -> IssuedCertificate {
        let leafKey = try GeneratedKey(keyType)
        let builder = try CertificateBuilder(subject: "CN=\(commonName),O=swift-google-mtls", key: leafKey,
                                             notBefore: notBefore, notAfter: notAfter)
            .purpose(GNUTLS_KP_TLS_WWW_CLIENT)
        return IssuedCertificate(certificate: try builder.sign(issuer: certificate, issuerKey: key),
                                 intermediates: chainAbove, key: leafKey)
    }

    /// What a leaf issued here sends above itself: this CA when it is an intermediate, and its parents.
    private var chainAbove: [Certificate] { isIntermediate ? [certificate] + parents : [] }
}

/// A certificate with its freshly generated private key.
public struct IssuedCertificate: Sendable {
    /// The certificate.
    public let certificate: Certificate
    /// Intermediate CA certificates to send after it (empty when issued by a root).
    public let intermediates: [Certificate]
    let key: GeneratedKey

    /// The certificate followed by its intermediates, as PEM.
    public var chainPEM: String { ([certificate] + intermediates).map(\.pem).joined() }

    /// The same certificate without its intermediates (a server that forgets to send them).
    public var withoutIntermediates: IssuedCertificate {
        IssuedCertificate(certificate: certificate, intermediates: [], key: key)
    }

    /// The private key as PEM in the given format.
    public func privateKeyPEM(_ format: PrivateKeyFormat = .pkcs8) throws -> String {
        String(decoding: try key.export(format), as: UTF8.self)
    }

    /// The certificate and key as an identity to present.
    public func identity() throws -> ClientIdentity {
        try ClientIdentity.pem(certificateChain: Array(chainPEM.utf8), privateKey: Array(privateKeyPEM().utf8))
    }

    /// Writes the chain and the key as PEM files; the key file is readable by its owner only.
    public func write(certificateTo certificatePath: String, keyTo keyPath: String,
                      keyFormat: PrivateKeyFormat = .pkcs8) throws {
        try Data(chainPEM.utf8).write(to: URL(fileURLWithPath: certificatePath))
        var key = try key.export(keyFormat)
        defer { key.zeroize() }
        try FileBytes.writePrivate(key, to: keyPath, what: "private key file")
    }
}

/// A generated private key; immutable after generation, so safe to share (`@unchecked Sendable`).
final class GeneratedKey: @unchecked Sendable {
    let handle: gnutls_x509_privkey_t
    let type: KeyType

    init(_ type: KeyType) throws {
        var handle: gnutls_x509_privkey_t?
        try GnuTLS.check(gnutls_x509_privkey_init(&handle), .invalidConfiguration, "cannot allocate a key")
        self.handle = handle!
        self.type = type
        let (algorithm, bits): (gnutls_pk_algorithm_t, UInt32) = switch type {
        case .rsa(let bits): (GNUTLS_PK_RSA, UInt32(bits))
        case .ecdsaP256: (GNUTLS_PK_ECDSA, cgnutls_curve_to_bits(GNUTLS_ECC_CURVE_SECP256R1))
        case .ecdsaP384: (GNUTLS_PK_ECDSA, cgnutls_curve_to_bits(GNUTLS_ECC_CURVE_SECP384R1))
        case .ed25519: (GNUTLS_PK_EDDSA_ED25519, cgnutls_curve_to_bits(GNUTLS_ECC_CURVE_ED25519))
        }
        try GnuTLS.check(gnutls_x509_privkey_generate(self.handle, algorithm, bits, 0), .invalidConfiguration,
                         "cannot generate a \(type) key")
    }

    /// A key read from PEM; its type is taken from the key itself.
    init(pem: [UInt8], source: String) throws {
        var allocated: gnutls_x509_privkey_t?
        try GnuTLS.check(gnutls_x509_privkey_init(&allocated), .invalidConfiguration, "cannot allocate a key")
        let handle = allocated!
        let result = GnuTLS.withDatum(pem) { gnutls_x509_privkey_import2(handle, &$0, GNUTLS_X509_FMT_PEM, nil, 0) }
        if result < 0 { gnutls_x509_privkey_deinit(handle) }
        try GnuTLS.check(result, .malformedInput, "\(source) holds no usable private key")
        self.handle = handle
        type = switch gnutls_x509_privkey_get_pk_algorithm(handle) {
        case Int32(GNUTLS_PK_RSA.rawValue): .rsa(bits: 0)
        case Int32(GNUTLS_PK_EDDSA_ED25519.rawValue): .ed25519
        default: .ecdsaP256
        }
    }

    deinit { gnutls_x509_privkey_deinit(handle) }

    /// The digest to sign certificates with this key (Ed25519 has its own).
    var signatureDigest: gnutls_digest_algorithm_t {
        if case .ed25519 = type { return GNUTLS_DIG_SHA512 }
        return GNUTLS_DIG_SHA256
    }

    func export(_ format: PrivateKeyFormat) throws -> [UInt8] {
        try GnuTLS.export(.invalidConfiguration, "cannot export the private key") { datum in
            switch format {
            case .pkcs8:
                gnutls_x509_privkey_export2_pkcs8(handle, GNUTLS_X509_FMT_PEM, nil, GNUTLS_PKCS_PLAIN.rawValue, datum)
            case .traditional:
                gnutls_x509_privkey_export2(handle, GNUTLS_X509_FMT_PEM, datum)
            case .encryptedPKCS8(let passphrase):
                gnutls_x509_privkey_export2_pkcs8(handle, GNUTLS_X509_FMT_PEM, passphrase,
                                                  GNUTLS_PKCS_PBES2_AES_256.rawValue, datum)
            }
        }
    }
}

/// Fills in and signs one certificate.
struct CertificateBuilder {
    let crt: X509Certificate
    let key: GeneratedKey

    init(subject: String, key: GeneratedKey, notBefore: Date, notAfter: Date) throws {
        var handle: gnutls_x509_crt_t?
        try GnuTLS.check(gnutls_x509_crt_init(&handle), .invalidConfiguration, "cannot allocate a certificate")
        crt = X509Certificate(adopting: handle!)
        self.key = key
        let what = "cannot build the certificate \(subject)"
        try GnuTLS.check(gnutls_x509_crt_set_version(handle, 3), .invalidConfiguration, what)
        var serial = (0..<16).map { _ in UInt8.random(in: 0...255) }
        serial[0] &= 0x7f
        try GnuTLS.check(gnutls_x509_crt_set_serial(handle, serial, serial.count), .invalidConfiguration, what)
        try GnuTLS.check(gnutls_x509_crt_set_activation_time(handle, time_t(notBefore.timeIntervalSince1970)),
                         .invalidConfiguration, what)
        try GnuTLS.check(gnutls_x509_crt_set_expiration_time(handle, time_t(notAfter.timeIntervalSince1970)),
                         .invalidConfiguration, what)
        try GnuTLS.check(gnutls_x509_crt_set_key(handle, key.handle), .invalidConfiguration, what)
        try GnuTLS.check(gnutls_x509_crt_set_dn(handle, subject, nil), .invalidConfiguration, what)
        var id = [UInt8](repeating: 0, count: 64)
        var size = id.count
        try GnuTLS.check(gnutls_x509_privkey_get_key_id(key.handle, 0, &id, &size), .invalidConfiguration, what)
        try GnuTLS.check(gnutls_x509_crt_set_subject_key_id(handle, id, size), .invalidConfiguration, what)
    }

    func ca() throws -> CertificateBuilder {
        try GnuTLS.check(gnutls_x509_crt_set_basic_constraints(crt.handle, 1, -1), .invalidConfiguration, "CA constraints")
        try GnuTLS.check(gnutls_x509_crt_set_key_usage(crt.handle, UInt32(GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)),
                         .invalidConfiguration, "CA key usage")
        return self
    }

    /// Marks the certificate as not a CA, with no other constraint.
    func notCA() throws -> CertificateBuilder {
        try GnuTLS.check(gnutls_x509_crt_set_basic_constraints(crt.handle, 0, -1), .invalidConfiguration, "constraints")
        return self
    }

    func names(dns: [String], ip: [String]) throws -> CertificateBuilder {
        for name in dns {
            try GnuTLS.check(gnutls_x509_crt_set_subject_alt_name(crt.handle, GNUTLS_SAN_DNSNAME, name,
                                                                  UInt32(name.utf8.count), UInt32(GNUTLS_FSAN_APPEND)),
                             .invalidConfiguration, "DNS name \(name)")
        }
        for text in ip {
            guard let bytes = IPAddress(text) else {
                throw TLSError(.invalidConfiguration, "\(text) is not an IP address")
            }
            try GnuTLS.check(gnutls_x509_crt_set_subject_alt_name(crt.handle, GNUTLS_SAN_IPADDRESS, bytes,
                                                                  UInt32(bytes.count), UInt32(GNUTLS_FSAN_APPEND)),
                             .invalidConfiguration, "IP address \(text)")
        }
        return self
    }

    func purpose(_ oid: String) throws -> CertificateBuilder {
        try GnuTLS.check(gnutls_x509_crt_set_basic_constraints(crt.handle, 0, -1), .invalidConfiguration, "constraints")
        let usage = if case .rsa = key.type { GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT }
                    else { GNUTLS_KEY_DIGITAL_SIGNATURE }
        try GnuTLS.check(gnutls_x509_crt_set_key_usage(crt.handle, UInt32(usage)), .invalidConfiguration, "key usage")
        try GnuTLS.check(gnutls_x509_crt_set_key_purpose_oid(crt.handle, oid, 0), .invalidConfiguration, "key purpose")
        return self
    }

    /// Signs with the issuer's key (self-signs when `issuer` is nil) and returns the parsed result;
    /// `digest` overrides the usual hash (tests of weak signatures).
    func sign(issuer: Certificate?, issuerKey: GeneratedKey, digest: gnutls_digest_algorithm_t? = nil) throws -> Certificate {
        let issuerCrt = try issuer.map { try X509Certificate(der: $0.der, source: "issuer certificate") }
        if let issuerCrt {
            var id = [UInt8](repeating: 0, count: 64)
            var size = id.count
            if gnutls_x509_crt_get_subject_key_id(issuerCrt.handle, &id, &size, nil) >= 0 {
                gnutls_x509_crt_set_authority_key_id(crt.handle, id, size)
            }
        }
        _ = try withExtendedLifetime(issuerCrt) {
            try GnuTLS.check(gnutls_x509_crt_sign2(crt.handle, issuerCrt?.handle ?? crt.handle, issuerKey.handle,
                                                   digest ?? issuerKey.signatureDigest, 0), .invalidConfiguration, "signing")
        }
        // Export and parse again: a freshly signed gnutls_x509_crt_t reports stale fields (host names).
        return try Certificate(der: crt.der)
    }
}
