import CGnuTLS
import FoundationEssentials
import Glibc

/// An owned `gnutls_privkey_t`: a software key or a handle to a key inside a PKCS#11 token.
///
/// Immutable after loading. GnuTLS documents credentials (and the keys in them) as safe to share
/// read-only between threads, which is how sessions use it, hence `@unchecked Sendable`.
final class PrivateKey: @unchecked Sendable {
    let handle: gnutls_privkey_t
    /// Keeps the PIN alive for GnuTLS's PIN callback (PKCS#11 keys only).
    private let pin: PINBox?

    private init(handle: gnutls_privkey_t, pin: PINBox?) {
        self.handle = handle
        self.pin = pin
    }

    deinit { gnutls_privkey_deinit(handle) }

    private static func allocate() throws -> gnutls_privkey_t {
        var handle: gnutls_privkey_t?
        try GnuTLS.check(gnutls_privkey_init(&handle), .malformedInput, "cannot allocate a private key")
        return handle!
    }

    /// Loads a PEM key: PKCS#1, SEC1, PKCS#8, or encrypted PKCS#8 with `passphrase`.
    static func pem(_ bytes: [UInt8], passphrase: String?, source: String) throws -> PrivateKey {
        if passphrase == nil && PEM.isEncryptedKey(bytes) {
            throw TLSError(.passphraseRequired,
                           "\(source) holds an encrypted private key: give its passphrase, or decrypt it first")
        }
        let handle = try allocate()
        let key = PrivateKey(handle: handle, pin: nil)
        let result = GnuTLS.withDatum(bytes) {
            gnutls_privkey_import_x509_raw(handle, &$0, GNUTLS_X509_FMT_PEM, passphrase, 0)
        }
        if result == GNUTLS_E_DECRYPTION_FAILED || (passphrase != nil && result == GNUTLS_E_ASN1_DER_ERROR
                                                    && PEM.isEncryptedKey(bytes)) {
            throw TLSError(.wrongPassphrase, "the passphrase does not decrypt the private key in \(source)",
                           gnutlsError: result)
        }
        try GnuTLS.check(result, .malformedInput,
                         "\(source) is not a PEM private key (PKCS#1, SEC1 or PKCS#8)")
        return key
    }

    /// Adopts a key taken out of a PKCS#12 file.
    static func adopting(x509 key: gnutls_x509_privkey_t) throws -> PrivateKey {
        let handle = try allocate()
        let wrapped = PrivateKey(handle: handle, pin: nil)
        let result = gnutls_privkey_import_x509(handle, key, UInt32(GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE.rawValue))
        if result < 0 { gnutls_x509_privkey_deinit(key) }
        try GnuTLS.check(result, .malformedInput, "cannot use the PKCS#12 private key")
        return wrapped
    }

    /// Opens a key that stays inside a PKCS#11 token; `pin` logs in when the token asks.
    static func pkcs11(url: String, pin: String?) throws -> PrivateKey {
        let handle = try allocate()
        let box = pin.map(PINBox.init)
        let key = PrivateKey(handle: handle, pin: box)
        if let box {
            gnutls_privkey_set_pin_function(handle, PINBox.callback, Unmanaged.passUnretained(box).toOpaque())
        }
        let result = gnutls_privkey_import_url(handle, url, 0)
        if result == GNUTLS_E_PKCS11_PIN_ERROR {
            throw TLSError(.wrongPassphrase, "the PIN was not accepted by the token for \(PKCS11URL.redacted(url))",
                           gnutlsError: result)
        }
        try GnuTLS.check(result, .pkcs11, "cannot open the PKCS#11 private key \(PKCS11URL.redacted(url))")
        return key
    }

    /// A SHA-256 digest of the public half, comparable with `X509Certificate.keyID()`; nil if the
    /// token does not reveal the public key.
    func keyID() -> [UInt8]? {
        var pub: gnutls_pubkey_t?
        guard gnutls_pubkey_init(&pub) >= 0 else { return nil }
        defer { gnutls_pubkey_deinit(pub) }
        guard gnutls_pubkey_import_privkey(pub, handle, 0, 0) >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        var size = buffer.count
        guard gnutls_pubkey_get_key_id(pub, UInt32(GNUTLS_KEYID_USE_SHA256.rawValue), &buffer, &size) >= 0 else {
            return nil
        }
        return Array(buffer.prefix(size))
    }
}

/// A PIN handed to GnuTLS's PIN callback; the bytes are zeroed when released.
final class PINBox {
    private var bytes: [UInt8]

    init(_ pin: String) { bytes = Array(pin.utf8) }

    deinit { bytes.zeroize() }

    /// GnuTLS asks for the PIN; a second attempt means the first was wrong, so give up
    /// instead of locking the token.
    static let callback: gnutls_pin_callback_t = { userdata, attempt, _, _, _, pin, max in
        guard attempt == 0, let userdata, let pin else { return GNUTLS_E_PKCS11_PIN_ERROR }
        let box = Unmanaged<PINBox>.fromOpaque(userdata).takeUnretainedValue()
        guard box.bytes.count < max else { return GNUTLS_E_PKCS11_PIN_ERROR }
        box.bytes.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(pin).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        }
        pin[box.bytes.count] = 0
        return 0
    }
}

/// PKCS#11 URLs may carry `pin-value`; messages show them without it.
enum PKCS11URL {
    static func redacted(_ url: String) -> String {
        var output = ""
        var rest = Substring(url)
        while let range = rest.firstRange(of: "pin-value=") {
            output += rest[..<range.upperBound] + "<redacted>"
            rest = rest[range.upperBound...]
            rest = rest[(rest.firstIndex { $0 == ";" || $0 == "&" } ?? rest.endIndex)...]
        }
        return output + rest
    }
}
