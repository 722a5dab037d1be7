import GoogleAuth
import MTLS

/// How a generated client connects and authenticates, in the spirit of Google's `ClientOptions`.
///
/// The defaults do what Google's libraries do: Application Default Credentials, the client
/// certificate and endpoint chosen from the environment, the API's default scopes.
public struct ClientOptions: Sendable {
    /// An endpoint to use instead of the chosen one, verbatim (e.g. `https://localhost:8443/`).
    public var endpoint: String?
    /// The universe domain (default: `GOOGLE_CLOUD_UNIVERSE_DOMAIN`, then googleapis.com).
    public var universeDomain: String?
    /// A client certificate to present (still subject to `GOOGLE_API_USE_CLIENT_CERTIFICATE=false`).
    public var clientCertificate: ClientCertificateSource?
    /// Credentials to use instead of Application Default Credentials.
    public var credentials: (any CredentialsProvider)?
    /// OAuth scopes (default: the API's first scope, or cloud-platform).
    public var scopes: [String]?
    /// The project billed for quota (`x-goog-user-project`; default: the credentials' quota project).
    public var quotaProject: String?
    /// Appended to the `User-Agent` header.
    public var userAgent: String?
    /// Time allowed for each call, retries included.
    public var timeout: Duration
    /// When and how often failed calls are retried.
    public var retry: RetryPolicy
    /// TLS trust for the API and token endpoints (the client identity comes from the certificate decision).
    public var tls: TLSConfiguration
    /// Dial other addresses for some hosts, like curl's `--connect-to` (tests, emulators).
    public var connectTo: [ConnectTo]
    /// The environment discovery reads.
    public var environment: AuthEnvironment

    /// Google's defaults: ADC, discovered certificate and endpoint, 60 s per call, `RetryPolicy.standard`.
    public init(endpoint: String? = nil, universeDomain: String? = nil, clientCertificate: ClientCertificateSource? = nil,
                credentials: (any CredentialsProvider)? = nil, scopes: [String]? = nil, quotaProject: String? = nil,
                userAgent: String? = nil, timeout: Duration = .seconds(60), retry: RetryPolicy = .standard,
                tls: TLSConfiguration = TLSConfiguration(), connectTo: [ConnectTo] = [],
                environment: AuthEnvironment = .process) {
        self.endpoint = endpoint
        self.universeDomain = universeDomain
        self.clientCertificate = clientCertificate
        self.credentials = credentials
        self.scopes = scopes
        self.quotaProject = quotaProject
        self.userAgent = userAgent
        self.timeout = timeout
        self.retry = retry
        self.tls = tls
        self.connectTo = connectTo
        self.environment = environment
    }
}
