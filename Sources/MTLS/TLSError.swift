import CGnuTLS

/// A failure while loading TLS material, connecting, or talking TLS.
///
/// Match on `code`, which is stable across releases; `message` is for people and may change.
/// No message ever contains a private key, passphrase, PIN or token.
public struct TLSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier of the kind of failure, extensible like `HTTPClientError`'s codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name, e.g. `"hostnameMismatch"`.
        public let name: String
        /// Makes a code from its stable name.
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A file could not be read (missing, unreadable, a directory).
        public static let unreadableFile = Code("unreadableFile")
        /// PEM, DER or PKCS#12 input could not be parsed.
        public static let malformedInput = Code("malformedInput")
        /// An encrypted private key or PKCS#12 file was given without a passphrase.
        public static let passphraseRequired = Code("passphraseRequired")
        /// The passphrase, password or PIN did not unlock the key.
        public static let wrongPassphrase = Code("wrongPassphrase")
        /// The private key does not belong to the certificate.
        public static let keyMismatch = Code("keyMismatch")
        /// A PKCS#11 token or object could not be used.
        public static let pkcs11 = Code("pkcs11")
        /// The server's chain does not lead to a trusted root.
        public static let untrustedServer = Code("untrustedServer")
        /// The server's certificate is self-signed (not issued by any CA).
        public static let selfSignedServer = Code("selfSignedServer")
        /// The server's chain stops at a certificate whose issuer it did not send and we do not trust:
        /// usually an intermediate certificate missing from the server's configuration.
        public static let incompleteChain = Code("incompleteChain")
        /// A certificate in the server's chain was signed by a certificate that is not a CA.
        public static let signerNotCA = Code("signerNotCA")
        /// A certificate in the server's chain is signed with an insecure algorithm (e.g. SHA-1).
        public static let insecureAlgorithm = Code("insecureAlgorithm")
        /// The server's key is too weak (e.g. RSA under 2048 bits).
        public static let weakKey = Code("weakKey")
        /// The server's certificate is not valid for the host name we asked for.
        public static let hostnameMismatch = Code("hostnameMismatch")
        /// A certificate in the server's chain has expired.
        public static let certificateExpired = Code("certificateExpired")
        /// A certificate in the server's chain is not valid yet.
        public static let certificateNotYetValid = Code("certificateNotYetValid")
        /// The server's certificate is not meant for TLS server authentication (extended key usage).
        public static let certificatePurposeMismatch = Code("certificatePurposeMismatch")
        /// The server refused our client certificate (or its absence) with a TLS alert.
        public static let clientCertificateRejected = Code("clientCertificateRejected")
        /// The server did not agree on any of our ALPN protocols (for example no `h2`).
        public static let noApplicationProtocol = Code("noApplicationProtocol")
        /// The TLS handshake failed for another reason (protocol version, cipher, alert).
        public static let handshakeFailed = Code("handshakeFailed")
        /// The TLS handshake did not finish within the timeout.
        public static let handshakeTimeout = Code("handshakeTimeout")
        /// The host name could not be resolved.
        public static let nameResolution = Code("nameResolution")
        /// No TCP connection could be made in time.
        public static let connectTimeout = Code("connectTimeout")
        /// The peer refused the TCP connection.
        public static let connectionRefused = Code("connectionRefused")
        /// The connection closed before the exchange finished (including a missing close_notify).
        public static let connectionClosed = Code("connectionClosed")
        /// A socket or TLS record error after the handshake.
        public static let ioError = Code("ioError")
        /// The proxy wants (other) credentials: HTTP 407, or SOCKS5 authentication refused.
        public static let proxyAuthenticationRequired = Code("proxyAuthenticationRequired")
        /// The proxy refused or failed to open the tunnel (an HTTP status other than 200, a SOCKS5 error).
        public static let proxyFailed = Code("proxyFailed")
        /// The configuration itself is invalid (for example a bad `connectTo` rule).
        public static let invalidConfiguration = Code("invalidConfiguration")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened and what to do about it, naming the file or host involved.
    public let message: String
    /// The GnuTLS error code behind the failure, where there is one.
    public let gnutlsError: Int32?

    /// Makes an error; `message` must not contain secrets.
    public init(_ code: Code, _ message: String, gnutlsError: Int32? = nil) {
        self.code = code
        self.message = message
        self.gnutlsError = gnutlsError
    }

    public var description: String { "TLSError.\(code): \(message)" }
}

extension TLSError {
    /// An error for a failed GnuTLS call, with GnuTLS's own explanation appended.
    static func gnutls(_ code: Code, _ what: String, _ result: Int32) -> TLSError {
        TLSError(code, "\(what): \(GnuTLS.describe(result))", gnutlsError: result)
    }
}
