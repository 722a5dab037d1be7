/// A TLS protocol version.
public enum TLSVersion: String, Sendable, Hashable, Comparable, CaseIterable {
    /// TLS 1.2.
    case tls12 = "TLS1.2"
    /// TLS 1.3.
    case tls13 = "TLS1.3"

    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What the server asked for when it requested a client certificate, for `getClientIdentity`.
public struct CertificateRequest: Sendable {
    /// The host name the connection is for.
    public let serverName: String
    /// Distinguished names of the issuers the server accepts (may be empty: then it takes any).
    public let acceptableIssuers: [String]

    /// A request as a handshake would make it (to call an identity callback outside a handshake).
    public init(serverName: String, acceptableIssuers: [String]) {
        self.serverName = serverName
        self.acceptableIssuers = acceptableIssuers
    }
}

/// How a client side of TLS behaves: whom it trusts, who it is, what it offers.
///
/// Defaults are safe: system trust roots, TLS 1.2 or later, ALPN `h2` required, host name checked.
/// Certificate and host-name verification cannot be switched off.
public struct TLSConfiguration: Sendable {
    /// The roots the server's chain must lead to.
    public var trustRoots: TrustRoots
    /// The identity presented when the server asks for a client certificate.
    public var clientIdentity: ClientIdentity?
    /// Asked at each handshake in which the server requests a certificate, like Go's
    /// `GetClientCertificate`; when set it wins over `clientIdentity`. Return nil to send none.
    ///
    /// Runs on the connection's event loop during the handshake: return a cached identity,
    /// do not block on I/O. A thrown error fails the handshake with that error.
    public var getClientIdentity: (@Sendable (CertificateRequest) throws -> ClientIdentity?)?
    /// The lowest protocol version accepted (TLS 1.2 by default).
    public var minimumVersion: TLSVersion
    /// ALPN protocols offered, most preferred first.
    public var applicationProtocols: [String]
    /// Fail the handshake unless the server picks one of `applicationProtocols`.
    public var requireApplicationProtocol: Bool
    /// The name sent as SNI and checked against the server certificate, when it differs from the
    /// host connected to. Useful behind a `connectTo` override only if the name itself must change.
    public var serverName: String?
    /// Resume earlier sessions with the same host and port (TLS 1.3 tickets, TLS 1.2 tickets).
    public var sessionResumption: Bool

    /// A configuration with safe defaults; set the client identity for mutual TLS.
    public init(trustRoots: TrustRoots = .system,
                clientIdentity: ClientIdentity? = nil,
                minimumVersion: TLSVersion = .tls12,
                applicationProtocols: [String] = ["h2"],
                requireApplicationProtocol: Bool = true,
                serverName: String? = nil,
                sessionResumption: Bool = true) {
        self.trustRoots = trustRoots
        self.clientIdentity = clientIdentity
        self.minimumVersion = minimumVersion
        self.applicationProtocols = applicationProtocols
        self.requireApplicationProtocol = requireApplicationProtocol
        self.serverName = serverName
        self.sessionResumption = sessionResumption
    }

    /// The GnuTLS priority string: curl's medium profile, AES-GCM before ChaCha20 (ChaCha20 is
    /// several times slower on AES-NI machines), versions from the minimum up.
    var priority: String {
        let versions = minimumVersion == .tls13 ? "+VERS-TLS1.3" : "+VERS-TLS1.3:+VERS-TLS1.2"
        return "NORMAL:%PROFILE_MEDIUM:-VERS-ALL:\(versions):-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
            + "+CHACHA20-POLY1305:-CTYPE-ALL:+CTYPE-X509"
    }
}
