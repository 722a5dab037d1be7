import CGnuTLS

/// What a finished handshake negotiated, and what each side showed.
public struct TLSConnectionInfo: Sendable {
    /// The name used for SNI and certificate verification.
    public let serverName: String
    /// The address actually dialled (after any `connectTo` rule), e.g. `127.0.0.1:8443`.
    public let remoteAddress: String
    /// The protocol version, e.g. `TLS1.3`.
    public let protocolVersion: String
    /// The cipher suite, e.g. `TLS_AES_128_GCM_SHA256`.
    public let cipherSuite: String
    /// GnuTLS's one-line summary, e.g. `(TLS1.3)-(ECDHE-SECP256R1)-(ECDSA-SECP256R1-SHA256)-(AES-128-GCM)`.
    public let summary: String
    /// The ALPN protocol the server picked (`h2`), or nil if it picked none.
    public let applicationProtocol: String?
    /// The server's chain as it sent it, leaf first.
    public let peerCertificates: [Certificate]
    /// Whether the server asked for a client certificate.
    public let clientCertificateRequested: Bool
    /// The client certificate of this connection: the one we sent (client side), or the verified
    /// one the client sent (server side, where `peerCertificates` is the client's chain); nil if none.
    public let clientCertificate: Certificate?
    /// Whether an earlier session was resumed (no full handshake).
    public let resumed: Bool
    /// How long resolving the host name took.
    public let nameResolution: Duration
    /// How long the TCP connection took (all addresses tried).
    public let tcpConnect: Duration
    /// How long the TLS handshake took.
    public let tlsHandshake: Duration

    init(session: TLSSession, remoteAddress: String, nameResolution: Duration, tcpConnect: Duration,
         tlsHandshake: Duration) {
        self.nameResolution = nameResolution
        self.tcpConnect = tcpConnect
        self.tlsHandshake = tlsHandshake
        let handle = session.handle
        serverName = session.serverName
        self.remoteAddress = remoteAddress
        protocolVersion = String(cString: gnutls_protocol_get_name(gnutls_protocol_get_version(handle)))
        cipherSuite = String(cString: gnutls_ciphersuite_get(handle))
        if let description = gnutls_session_get_desc(handle) {
            summary = String(cString: description)
            cgnutls_free(description)
        } else {
            summary = ""
        }
        var selected = gnutls_datum_t()
        applicationProtocol = gnutls_alpn_get_selected_protocol(handle, &selected) == 0
            ? String(decoding: UnsafeBufferPointer(start: selected.data, count: Int(selected.size)), as: UTF8.self)
            : nil
        var count: UInt32 = 0
        let list = gnutls_certificate_get_peers(handle, &count)
        peerCertificates = (0..<Int(count)).compactMap { index in
            let datum = list![index]
            return try? Certificate(der: Array(UnsafeBufferPointer(start: datum.data, count: Int(datum.size))))
        }
        switch session.role {
        case .client:
            clientCertificateRequested = gnutls_certificate_client_get_request_status(handle) != 0
            clientCertificate = session.presentedCertificate
        case .server(let context):
            clientCertificateRequested = context.configuration.clientCertificates != .none
            clientCertificate = peerCertificates.first
        }
        resumed = gnutls_session_is_resumed(handle) != 0
    }
}
