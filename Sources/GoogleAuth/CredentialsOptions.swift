import MTLS

/// How credentials obtain tokens: scopes, the client certificate that switches token endpoints to
/// their mTLS hosts, and the connection settings for token endpoints.
public struct CredentialsOptions: Sendable {
    /// How a service account may skip the token endpoint and sign its own token (AIP-4111).
    public enum SelfSignedJWT: Sendable, Hashable {
        /// A JWT with `aud` set to this audience, e.g. `https://storage.googleapis.com/` (the
        /// non-mTLS host, even when calls go to the mTLS endpoint).
        case audience(String)
        /// A JWT with the `scope` claim.
        case scopes
    }

    /// OAuth scopes asked for (default: cloud-platform).
    public var scopes: [String]
    /// When set, token requests go to the mTLS token endpoints (`oauth2.mtls.googleapis.com`,
    /// `iamcredentials.mtls.googleapis.com`) and present this certificate.
    public var clientCertificate: ClientCertificateSource?
    /// Service accounts sign their own token this way instead of calling the token endpoint (nil: never).
    public var selfSignedJWT: SelfSignedJWT?
    /// TLS trust for token endpoints (the client identity comes from `clientCertificate`).
    public var tls: TLSConfiguration
    /// Dial other addresses for token hosts, like curl's `--connect-to` (tests, emulators).
    public var connectTo: [ConnectTo]
    /// Time allowed for each token request.
    public var requestTimeout: Duration
    /// Time allowed for the metadata server to answer, so a machine without one does not hang.
    public var metadataTimeout: Duration

    /// Cloud-platform scope, system trust, no client certificate, 30 s requests, 3 s for the metadata server.
    public init(scopes: [String] = ["https://www.googleapis.com/auth/cloud-platform"],
                clientCertificate: ClientCertificateSource? = nil, selfSignedJWT: SelfSignedJWT? = nil,
                tls: TLSConfiguration = TLSConfiguration(), connectTo: [ConnectTo] = [],
                requestTimeout: Duration = .seconds(30), metadataTimeout: Duration = .seconds(3)) {
        self.scopes = scopes
        self.clientCertificate = clientCertificate
        self.selfSignedJWT = selfSignedJWT
        self.tls = tls
        self.connectTo = connectTo
        self.requestTimeout = requestTimeout
        self.metadataTimeout = metadataTimeout
    }
}
