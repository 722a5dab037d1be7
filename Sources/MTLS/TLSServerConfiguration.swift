import CGnuTLS

/// How the server side of TLS behaves: its certificate, and whether and whom it asks for a
/// client certificate. Used by `TLSListener` (the emulator and test servers).
public struct TLSServerConfiguration: Sendable {
    /// Whether the server asks for a client certificate.
    public enum ClientCertificatePolicy: Sendable, Hashable {
        /// Never asks.
        case none
        /// Asks; a client may send none, but one it sends must verify against `clientTrustRoots`.
        case request
        /// Asks and fails the handshake without a valid one.
        case require
    }

    /// The server's certificate chain (leaf first) and key.
    public var identity: ClientIdentity
    /// The CAs client certificates must lead to (needed unless the policy is `.none`).
    public var clientTrustRoots: TrustRoots?
    /// Whether to ask for a client certificate.
    public var clientCertificates: ClientCertificatePolicy
    /// ALPN protocols accepted, most preferred first (default `h2`).
    public var applicationProtocols: [String]

    /// A server presenting `identity`; client certificates are verified against `clientTrustRoots`
    /// (including the clientAuth purpose).
    public init(identity: ClientIdentity, clientTrustRoots: TrustRoots? = nil,
                clientCertificates: ClientCertificatePolicy = .none, applicationProtocols: [String] = ["h2"]) {
        self.identity = identity
        self.clientTrustRoots = clientTrustRoots
        self.clientCertificates = clientCertificates
        self.applicationProtocols = applicationProtocols
    }
}

/// A prepared server configuration: credentials built once, shared by every accepted connection.
public final class TLSServerContext: @unchecked Sendable {
    // Sendable: written in init and only read afterwards (GnuTLS allows read-only sharing of
    // credentials and priority caches across threads).

    /// The configuration this context was made from.
    public let configuration: TLSServerConfiguration
    let credentials: gnutls_certificate_credentials_t
    let priorities: gnutls_priority_t

    /// Loads the client trust roots and checks the configuration.
    public init(configuration: TLSServerConfiguration) throws {
        guard configuration.clientCertificates == .none || configuration.clientTrustRoots != nil else {
            throw TLSError(.invalidConfiguration, "a server that asks for client certificates needs clientTrustRoots")
        }
        self.configuration = configuration
        var credentials: gnutls_certificate_credentials_t?
        try GnuTLS.check(gnutls_certificate_allocate_credentials(&credentials), .invalidConfiguration,
                         "cannot allocate TLS credentials")
        var priorities: gnutls_priority_t?
        let result = gnutls_priority_init2(&priorities, TLSConfiguration().priority, nil, 0)
        if result < 0 { gnutls_certificate_free_credentials(credentials) }
        try GnuTLS.check(result, .invalidConfiguration, "the TLS priority string was rejected")
        self.credentials = credentials!
        self.priorities = priorities!
        try configuration.clientTrustRoots?.load(into: self.credentials)
        gnutls_certificate_set_retrieve_function2(self.credentials, tlsRetrieveCertificate)
    }

    deinit {
        gnutls_certificate_free_credentials(credentials)
        gnutls_priority_deinit(priorities)
    }
}
