import CGnuTLS
import FoundationEssentials
import Glibc

/// The certificate chain and private key this side presents in a TLS handshake.
///
/// Loading checks everything it can up front: the PEM parses, the passphrase decrypts the key, and
/// the key belongs to the leaf certificate; each error names the file at fault and never the secret.
/// Load once and reuse: an identity is immutable and safe to share between connections.
public struct ClientIdentity: Sendable {
    /// Where the private key lives, for diagnostics; never includes a passphrase or PIN.
    public enum KeyLocation: Sendable, Hashable, CustomStringConvertible {
        /// Given as bytes in memory.
        case memory
        /// Read from a file at this path.
        case file(String)
        /// Inside a PKCS#11 token, at this URL (any `pin-value` removed); the key never leaves it.
        case pkcs11(String)

        public var description: String {
            switch self {
            case .memory: "memory"
            case .file(let path): "file \(path)"
            case .pkcs11(let url): "PKCS#11 token \(url)"
            }
        }
    }

    let material: IdentityMaterial

    /// The chain presented to the peer, leaf first.
    public var certificateChain: [Certificate] { material.chain }
    /// The leaf certificate.
    public var certificate: Certificate { material.chain[0] }
    /// Where the private key lives.
    public var keyLocation: KeyLocation { material.keyLocation }

    /// An identity from a PEM certificate chain (leaf first) and a PEM private key in memory.
    ///
    /// The key may be PKCS#1, SEC1, PKCS#8, or encrypted PKCS#8 when `passphrase` is given.
    /// The caller owns `privateKey` and may wipe it afterwards; no copy of it is kept.
    public static func pem(certificateChain: [UInt8], privateKey: [UInt8], passphrase: String? = nil) throws -> ClientIdentity {
        try build(chainPEM: certificateChain, chainSource: "the certificate chain",
                         key: PrivateKey.pem(privateKey, passphrase: passphrase, source: "the private key"),
                         keySource: "the private key", location: .memory)
    }

    /// An identity from a PEM certificate file (leaf first, intermediates after) and a PEM key file.
    ///
    /// The key file may be the certificate file itself when it holds both.
    public static func pemFiles(certificate certificatePath: String, privateKey keyPath: String,
                                passphrase: String? = nil) throws -> ClientIdentity {
        let chain = try FileBytes.read(certificatePath, what: "certificate file")
        var key = try FileBytes.read(keyPath, what: "private key file")
        defer { key.zeroize() }
        return try build(chainPEM: chain, chainSource: certificatePath,
                         key: PrivateKey.pem(key, passphrase: passphrase, source: keyPath),
                         keySource: keyPath, location: .file(keyPath))
    }

    /// An identity from a PKCS#12 (`.p12`/`.pfx`) file, DER or PEM, unlocked with `password`.
    ///
    /// Pass `""` for files made without a password.
    public static func pkcs12(file path: String, password: String) throws -> ClientIdentity {
        var bytes = try FileBytes.read(path, what: "PKCS#12 file")
        defer { bytes.zeroize() }
        let (key, chain) = try PKCS12.parse(bytes, password: password, source: path)
        return try build(chain: chain, chainSource: path, key: key, keySource: path, location: .file(path))
    }

    /// An identity whose private key stays in a PKCS#11 token (smart card, TPM via p11-kit, SoftHSM).
    ///
    /// `privateKeyURL` is an RFC 7512 `pkcs11:` URL of the key. `certificate` is either the `pkcs11:`
    /// URL of the certificate object or the path of a PEM file. `pin` logs in to the token when it
    /// asks; it may also be in the URL as `pin-value` or `pin-source`. GnuTLS loads the modules that
    /// p11-kit is configured with; `module` adds one by path first.
    public static func pkcs11(privateKeyURL: String, certificate: String, pin: String? = nil,
                              module: String? = nil) throws -> ClientIdentity {
        if let module { try PKCS11Modules.add(module) }
        let key = try PrivateKey.pkcs11(url: privateKeyURL, pin: pin)
        let location = KeyLocation.pkcs11(PKCS11URL.redacted(privateKeyURL))
        if certificate.lowercased().hasPrefix("pkcs11:") {
            let crt = try X509Certificate.fromPKCS11(url: certificate, pin: pin)
            return try build(chain: [crt], chainSource: PKCS11URL.redacted(certificate), key: key,
                             keySource: PKCS11URL.redacted(privateKeyURL), location: location)
        }
        return try build(chainPEM: FileBytes.read(certificate, what: "certificate file"), chainSource: certificate,
                         key: key, keySource: PKCS11URL.redacted(privateKeyURL), location: location)
    }

    private static func build(chainPEM: [UInt8], chainSource: String, key: PrivateKey, keySource: String,
                              location: KeyLocation) throws -> ClientIdentity {
        try build(chain: X509Certificate.list(pem: chainPEM, source: chainSource), chainSource: chainSource,
                  key: key, keySource: keySource, location: location)
    }

    private static func build(chain: [X509Certificate], chainSource: String, key: PrivateKey, keySource: String,
                              location: KeyLocation) throws -> ClientIdentity {
        if let keyID = key.keyID(), try keyID != chain[0].keyID() {
            throw TLSError(.keyMismatch, "the private key in \(keySource) does not belong to the certificate in "
                           + "\(chainSource) (subject \(chain[0].distinguishedName(issuer: false))): "
                           + "pair the certificate with the key it was issued for")
        }
        return ClientIdentity(material: try IdentityMaterial(chain: chain, key: key, location: location))
    }
}

/// What GnuTLS needs at handshake time: the chain as `gnutls_pcert_st` and the key.
///
/// Immutable after init and shared read-only by sessions (GnuTLS allows that), hence `@unchecked Sendable`.
final class IdentityMaterial: @unchecked Sendable {
    let chain: [Certificate]
    let key: PrivateKey
    let keyLocation: ClientIdentity.KeyLocation
    let pcerts: UnsafeMutablePointer<gnutls_pcert_st>
    let count: UInt32

    init(chain crts: [X509Certificate], key: PrivateKey, location: ClientIdentity.KeyLocation) throws {
        chain = crts.map(Certificate.init)
        self.key = key
        keyLocation = location
        self.pcerts = .allocate(capacity: crts.count)
        var handles: [gnutls_x509_crt_t?] = crts.map(\.handle)
        var imported = UInt32(crts.count)
        // The objects own the handles: keep them alive through the call (the optimizer may
        // otherwise release them right after their last use above).
        let pcerts = self.pcerts
        let result = withExtendedLifetime(crts) { gnutls_pcert_import_x509_list(pcerts, &handles, &imported, 0) }
        count = result < 0 ? 0 : imported
        if result < 0 { pcerts.deallocate() }
        try GnuTLS.check(result, .malformedInput, "cannot use the certificate chain")
    }

    deinit {
        for index in 0..<Int(count) { gnutls_pcert_deinit(&pcerts[index]) }
        if count > 0 { pcerts.deallocate() }
    }
}

/// PKCS#12 parsing: MAC check (the password), then the key and its chain.
enum PKCS12 {
    static func parse(_ bytes: [UInt8], password: String, source: String) throws -> (PrivateKey, [X509Certificate]) {
        var p12: gnutls_pkcs12_t?
        try GnuTLS.check(gnutls_pkcs12_init(&p12), .malformedInput, "cannot allocate PKCS#12")
        defer { gnutls_pkcs12_deinit(p12) }
        var result = GnuTLS.withDatum(bytes) { gnutls_pkcs12_import(p12, &$0, GNUTLS_X509_FMT_DER, 0) }
        if result < 0 {
            result = GnuTLS.withDatum(bytes) { gnutls_pkcs12_import(p12, &$0, GNUTLS_X509_FMT_PEM, 0) }
        }
        try GnuTLS.check(result, .malformedInput, "\(source) is not a PKCS#12 file")
        result = gnutls_pkcs12_verify_mac(p12, password)
        if result == GNUTLS_E_MAC_VERIFY_FAILED {
            throw TLSError(password.isEmpty ? .passphraseRequired : .wrongPassphrase,
                           password.isEmpty ? "\(source) is protected by a password: give it"
                                            : "the password does not open \(source)", gnutlsError: result)
        }
        var key: gnutls_x509_privkey_t?
        var chain: UnsafeMutablePointer<gnutls_x509_crt_t?>?
        var chainCount: UInt32 = 0
        result = gnutls_pkcs12_simple_parse(p12, password, &key, &chain, &chainCount, nil, nil, nil, 0)
        if result == GNUTLS_E_DECRYPTION_FAILED {
            throw TLSError(.wrongPassphrase, "the password does not decrypt \(source)", gnutlsError: result)
        }
        try GnuTLS.check(result, .malformedInput, "\(source) does not hold a private key with its certificate")
        defer { cgnutls_free(chain) }
        let certificates = (0..<Int(chainCount)).map { X509Certificate(adopting: chain![$0]!) }
        guard let key, !certificates.isEmpty else {
            if let key { gnutls_x509_privkey_deinit(key) }
            throw TLSError(.malformedInput, "\(source) does not hold a private key with its certificate")
        }
        return (try PrivateKey.adopting(x509: key), certificates)
    }
}

extension X509Certificate {
    /// Reads a certificate object out of a PKCS#11 token.
    static func fromPKCS11(url: String, pin: String?) throws -> X509Certificate {
        var handle: gnutls_x509_crt_t?
        try GnuTLS.check(gnutls_x509_crt_init(&handle), .pkcs11, "cannot allocate a certificate")
        let crt = X509Certificate(adopting: handle!)
        let box = pin.map(PINBox.init)
        if let box {
            gnutls_x509_crt_set_pin_function(handle, PINBox.callback, Unmanaged.passUnretained(box).toOpaque())
        }
        let result = withExtendedLifetime(box) { gnutls_x509_crt_import_url(handle, url, 0) }
        try GnuTLS.check(result, .pkcs11, "cannot read the certificate \(PKCS11URL.redacted(url)) from the token")
        return crt
    }
}

/// PKCS#11 modules added by path, once each per process.
enum PKCS11Modules {
    private static let added = Locked<Set<String>>([])

    static func add(_ path: String) throws {
        try added.withLock { added in
            guard !added.contains(path) else { return }
            try GnuTLS.check(gnutls_pkcs11_add_provider(path, nil), .pkcs11,
                             "cannot load the PKCS#11 module \(path)")
            added.insert(path)
        }
    }
}

extension ClientIdentity {
    /// An identity whose key and certificate are the objects labelled `label` in the token in
    /// PKCS#11 slot `slot` (any token when nil), as enterprise-certificate-proxy's `pkcs11` config names them.
    ///
    /// GnuTLS's URLs cannot select a slot, so the slot is looked up among the tokens first; an
    /// unknown slot is an error that names it.
    public static func pkcs11(slot: UInt64?, label: String, pin: String? = nil, module: String? = nil) throws -> ClientIdentity {
        if let module { try PKCS11Modules.add(module) }
        let token = try slot.map { try PKCS11Modules.tokenURL(slot: $0) }
        let object = (token.map { $0 + ";" } ?? "pkcs11:") + "object=" + PercentEncoding.encode(label)
        return try pkcs11(privateKeyURL: object + ";type=private", certificate: object + ";type=cert", pin: pin)
    }
}

extension PKCS11Modules {
    /// The URL of the token in `slot` among the loaded modules' tokens.
    static func tokenURL(slot: UInt64) throws -> String {
        var sequence: UInt32 = 0
        while true {
            var url: UnsafeMutablePointer<CChar>?
            let result = gnutls_pkcs11_token_get_url(sequence, GNUTLS_PKCS11_URL_GENERIC, &url)
            if result == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE { break }
            try GnuTLS.check(result, .pkcs11, "cannot list PKCS#11 tokens")
            defer { cgnutls_free(url) }
            var module: UnsafeMutableRawPointer?
            var slotID: UInt = 0
            if let url, gnutls_pkcs11_token_get_ptr(url, &module, &slotID, 0) >= 0, UInt64(slotID) == slot {
                return String(cString: url)
            }
            sequence += 1
        }
        throw TLSError(.pkcs11, "no PKCS#11 token is in slot \(slot) (0x\(String(slot, radix: 16))): "
                       + "check the slot number, or that the module is the one the token belongs to")
    }
}
