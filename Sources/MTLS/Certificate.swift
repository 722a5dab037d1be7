import CGnuTLS
import CLinux
import FoundationEssentials
import Glibc

/// An X.509 certificate, parsed once: who it names, who signed it, when it is valid.
///
/// A value type; `der` is the exact encoding, so two certificates are equal when their bytes are.
public struct Certificate: Sendable, Hashable, CustomStringConvertible {
    /// The DER encoding.
    public let der: [UInt8]
    /// The subject distinguished name in RFC 4514 form, e.g. `CN=client,O=example`.
    public let subject: String
    /// The issuer distinguished name in RFC 4514 form.
    public let issuer: String
    /// The start of the validity period.
    public let notBefore: Date
    /// The end of the validity period.
    public let notAfter: Date
    /// The DNS names in the subject alternative name extension.
    public let dnsNames: [String]
    /// The IP addresses in the subject alternative name extension, as text.
    public let ipAddresses: [String]
    /// The serial number in lowercase hex.
    public let serialNumber: String
    /// The public key algorithm and size, e.g. `ECDSA-SECP256R1` or `RSA-2048`.
    public let keyAlgorithm: String
    /// Whether the certificate may sign other certificates (basic constraints CA).
    public let isCertificateAuthority: Bool
    /// The SHA-256 fingerprint in lowercase hex.
    public let sha256Fingerprint: String

    /// Parses one DER-encoded certificate.
    public init(der: [UInt8]) throws {
        let crt = try X509Certificate(der: der, source: "DER input")
        self.init(crt)
    }

    /// Parses every certificate in a PEM bundle, in order; throws if there is none.
    ///
    /// `source` names where the text came from (a file path) for the error message.
    public static func parseChain(pem: [UInt8], source: String) throws -> [Certificate] {
        try X509Certificate.list(pem: pem, source: source).map(Certificate.init)
    }

    init(_ crt: X509Certificate) {
        der = crt.der
        subject = crt.distinguishedName(issuer: false)
        issuer = crt.distinguishedName(issuer: true)
        notBefore = Date(timeIntervalSince1970: TimeInterval(gnutls_x509_crt_get_activation_time(crt.handle)))
        notAfter = Date(timeIntervalSince1970: TimeInterval(gnutls_x509_crt_get_expiration_time(crt.handle)))
        let names = crt.alternativeNames()
        dnsNames = names.dns
        ipAddresses = names.ip
        serialNumber = crt.serialHex()
        keyAlgorithm = crt.keyAlgorithmName()
        isCertificateAuthority = gnutls_x509_crt_get_ca_status(crt.handle, nil) > 0
        sha256Fingerprint = crt.fingerprintHex()
    }

    /// The PEM encoding (`-----BEGIN CERTIFICATE-----`).
    public var pem: String { PEM.encode(der, label: "CERTIFICATE") }

    public var description: String {
        "Certificate(subject: \(subject), issuer: \(issuer), notAfter: \(notAfter))"
    }

    /// Whether `date` lies inside the validity period.
    public func isValid(at date: Date = Date()) -> Bool {
        notBefore <= date && date <= notAfter
    }
}

/// PEM armour, done with GnuTLS's encoder.
enum PEM {
    static func encode(_ der: [UInt8], label: String) -> String {
        var out = gnutls_datum_t()
        let result = GnuTLS.withDatum(der) { gnutls_pem_base64_encode2(label, &$0, &out) }
        precondition(result == 0, "PEM encoding of \(der.count) bytes failed: \(GnuTLS.describe(result))")
        return String(decoding: GnuTLS.take(&out), as: UTF8.self)
    }

    /// Whether the bytes hold an encrypted private key (PKCS#8 or OpenSSL's legacy form); searched
    /// in place, so no copy of the key is made.
    static func isEncryptedKey(_ bytes: [UInt8]) -> Bool {
        bytes.firstRange(of: Array("BEGIN ENCRYPTED PRIVATE KEY".utf8)) != nil
            || bytes.firstRange(of: Array("Proc-Type: 4,ENCRYPTED".utf8)) != nil
    }
}

/// An owned `gnutls_x509_crt_t`, released when the Swift object goes away.
final class X509Certificate {
    let handle: gnutls_x509_crt_t

    init(adopting handle: gnutls_x509_crt_t) { self.handle = handle }

    convenience init(der: [UInt8], source: String) throws {
        var handle: gnutls_x509_crt_t?
        try GnuTLS.check(gnutls_x509_crt_init(&handle), .malformedInput, "cannot allocate a certificate")
        self.init(adopting: handle!)
        try GnuTLS.withDatum(der) {
            try GnuTLS.check(gnutls_x509_crt_import(self.handle, &$0, GNUTLS_X509_FMT_DER), .malformedInput,
                             "\(source) is not a valid DER certificate")
        }
    }

    /// Every certificate of a PEM bundle.
    static func list(pem: [UInt8], source: String) throws -> [X509Certificate] {
        var list: UnsafeMutablePointer<gnutls_x509_crt_t?>?
        var count: UInt32 = 0
        let result = GnuTLS.withDatum(pem) {
            gnutls_x509_crt_list_import2(&list, &count, &$0, GNUTLS_X509_FMT_PEM, 0)
        }
        if result == GNUTLS_E_NO_CERTIFICATE_FOUND || (result >= 0 && count == 0) {
            throw TLSError(.malformedInput, "\(source) contains no PEM certificate (expected a block starting with -----BEGIN CERTIFICATE-----)", gnutlsError: result)
        }
        try GnuTLS.check(result, .malformedInput, "\(source) is not a valid PEM certificate chain")
        defer { cgnutls_free(list) }
        return (0..<Int(count)).map { X509Certificate(adopting: list![$0]!) }
    }

    deinit { gnutls_x509_crt_deinit(handle) }

    var der: [UInt8] {
        (try? GnuTLS.export(.malformedInput, "certificate export") {
            gnutls_x509_crt_export2(handle, GNUTLS_X509_FMT_DER, $0)
        }) ?? []
    }

    func distinguishedName(issuer: Bool) -> String {
        var datum = gnutls_datum_t()
        let result = issuer ? gnutls_x509_crt_get_issuer_dn3(handle, &datum, 0)
                            : gnutls_x509_crt_get_dn3(handle, &datum, 0)
        guard result >= 0 else { return "" }
        return String(decoding: GnuTLS.take(&datum), as: UTF8.self)
    }

    func alternativeNames() -> (dns: [String], ip: [String]) {
        var dns: [String] = [], ip: [String] = []
        var index: UInt32 = 0
        while true {
            var buffer = [UInt8](repeating: 0, count: 1024)
            var size = buffer.count
            let type = gnutls_x509_crt_get_subject_alt_name(handle, index, &buffer, &size, nil)
            if type < 0 { break }
            let bytes = Array(buffer.prefix(size))
            switch UInt32(type) {
            case GNUTLS_SAN_DNSNAME.rawValue: dns.append(String(decoding: bytes, as: UTF8.self))
            case GNUTLS_SAN_IPADDRESS.rawValue: ip.append(IPAddressText.format(bytes))
            default: break
            }
            index += 1
        }
        return (dns, ip)
    }

    func serialHex() -> String {
        var buffer = [UInt8](repeating: 0, count: 64)
        var size = buffer.count
        guard gnutls_x509_crt_get_serial(handle, &buffer, &size) >= 0 else { return "" }
        return Hex.encode(buffer.prefix(size))
    }

    func fingerprintHex() -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        var size = buffer.count
        guard gnutls_x509_crt_get_fingerprint(handle, GNUTLS_DIG_SHA256, &buffer, &size) >= 0 else { return "" }
        return Hex.encode(buffer.prefix(size))
    }

    func keyAlgorithmName() -> String {
        var bits: UInt32 = 0
        let algorithm = gnutls_x509_crt_get_pk_algorithm(handle, &bits)
        guard algorithm >= 0 else { return "unknown" }
        let name = String(cString: gnutls_pk_algorithm_get_name(gnutls_pk_algorithm_t(UInt32(algorithm))))
        if algorithm == Int32(GNUTLS_PK_RSA.rawValue) { return "\(name)-\(bits)" }
        if algorithm == Int32(GNUTLS_PK_ECDSA.rawValue) {
            var curve = GNUTLS_ECC_CURVE_INVALID
            var pub: gnutls_pubkey_t?
            if gnutls_pubkey_init(&pub) >= 0 {
                defer { gnutls_pubkey_deinit(pub) }
                if gnutls_pubkey_import_x509(pub, handle, 0) >= 0 {
                    _ = gnutls_pubkey_export_ecc_raw(pub, &curve, nil, nil)
                }
            }
            return "ECDSA-\(gnutls_ecc_curve_get_name(curve).map { String(cString: $0) } ?? "unknown")"
        }
        return name
    }

    /// A digest of the public key, to match keys to certificates.
    func keyID() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64)
        var size = buffer.count
        try GnuTLS.check(gnutls_x509_crt_get_key_id(handle, UInt32(GNUTLS_KEYID_USE_SHA256.rawValue), &buffer, &size),
                         .malformedInput, "cannot read the certificate's public key")
        return Array(buffer.prefix(size))
    }
}

/// Lowercase hex.
enum Hex {
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 0xf)]] }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Text for a raw IPv4 or IPv6 address, as `inet_ntop` writes it (`::1`).
enum IPAddressText {
    static func format(_ bytes: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        guard bytes.count == 4 || bytes.count == 16, inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil else {
            return Hex.encode(bytes)
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
