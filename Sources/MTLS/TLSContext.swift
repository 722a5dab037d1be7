import CGnuTLS

/// A prepared client configuration: trust roots parsed once, shared by every connection made with it.
///
/// Make one per configuration and reuse it: loading the system store costs milliseconds, a handshake
/// with a ready context does not. It also holds the session-resumption cache.
public final class TLSContext: @unchecked Sendable {
    // Sendable: `credentials` and `priorities` are written in init and only read afterwards (GnuTLS
    // allows read-only sharing of credentials and priority caches across threads); `tickets` is `Locked`.

    /// The configuration this context was made from.
    public let configuration: TLSConfiguration
    let credentials: gnutls_certificate_credentials_t
    let priorities: gnutls_priority_t
    private let tickets = Locked<[String: [UInt8]]>([:])

    /// Loads the trust roots and checks the configuration; errors name the file at fault.
    public init(configuration: TLSConfiguration) throws {
        self.configuration = configuration
        var credentials: gnutls_certificate_credentials_t?
        try GnuTLS.check(gnutls_certificate_allocate_credentials(&credentials), .invalidConfiguration,
                         "cannot allocate TLS credentials")
        var priorities: gnutls_priority_t?
        let result = gnutls_priority_init2(&priorities, configuration.priority, nil, 0)
        if result < 0 { gnutls_certificate_free_credentials(credentials) }
        try GnuTLS.check(result, .invalidConfiguration, "the TLS priority string was rejected")
        self.credentials = credentials!
        self.priorities = priorities!
        try configuration.trustRoots.load(into: self.credentials)
        gnutls_certificate_set_retrieve_function2(self.credentials, tlsRetrieveCertificate)
    }

    deinit {
        gnutls_certificate_free_credentials(credentials)
        gnutls_priority_deinit(priorities)
    }

    /// Takes the saved session for `peer`, if any: each ticket is used once (RFC 8446 advice).
    func takeTicket(for peer: String) -> [UInt8]? {
        guard configuration.sessionResumption else { return nil }
        return tickets.withLock { $0.removeValue(forKey: peer) }
    }

    /// Saves a session to resume the next connection to `peer`.
    func saveTicket(_ data: [UInt8], for peer: String) {
        guard configuration.sessionResumption, !data.isEmpty else { return }
        tickets.withLock { $0[peer] = data }
    }
}
