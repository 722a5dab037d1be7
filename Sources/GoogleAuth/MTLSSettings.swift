import MTLS

/// What the environment says about client certificates, mTLS endpoints and the universe domain,
/// read and checked once. Every invalid value is an error naming the variable, the value and what
/// is accepted: security-relevant settings never fall back silently.
public struct MTLSSettings: Sendable, Hashable {
    /// Whether a client certificate may be used (`GOOGLE_API_USE_CLIENT_CERTIFICATE`).
    public enum ClientCertificateUse: String, Sendable, Hashable {
        /// Unset or empty: on when the universe is googleapis.com and a certificate source is usable.
        case auto
        /// `true` or `1`: use one when found.
        case enabled
        /// `false` or `0`: never, not even one the caller passes.
        case disabled
    }

    /// When to use the service's mTLS endpoint (`GOOGLE_API_USE_MTLS_ENDPOINT`).
    public enum EndpointMode: String, Sendable, Hashable {
        /// Never, even with a certificate.
        case never
        /// When a client certificate is in use (the default).
        case auto
        /// Always, even without a certificate (the server will then refuse the connection).
        case always
    }

    /// The googleapis.com universe, the only one with mTLS endpoints.
    public static let defaultUniverse = "googleapis.com"

    /// Whether a certificate may be used, and the variable that said so (nil: nothing set).
    public var clientCertificateUse: ClientCertificateUse
    /// The variable that decided `clientCertificateUse`, e.g. `GOOGLE_API_USE_CLIENT_CERTIFICATE=true`.
    public var clientCertificateUseSource: String?
    /// When to use the mTLS endpoint.
    public var endpointMode: EndpointMode
    /// The variable that decided `endpointMode`, if one was set.
    public var endpointModeSource: String?
    /// `GOOGLE_CLOUD_UNIVERSE_DOMAIN`, if set and not empty.
    public var environmentUniverse: String?

    /// Settings given explicitly (tests and tools).
    public init(clientCertificateUse: ClientCertificateUse = .auto, endpointMode: EndpointMode = .auto,
                environmentUniverse: String? = nil) {
        self.clientCertificateUse = clientCertificateUse
        self.endpointMode = endpointMode
        self.environmentUniverse = environmentUniverse
    }

    /// Reads `GOOGLE_API_USE_CLIENT_CERTIFICATE` (then `CLOUDSDK_CONTEXT_AWARE_USE_CLIENT_CERTIFICATE`),
    /// `GOOGLE_API_USE_MTLS_ENDPOINT` and `GOOGLE_CLOUD_UNIVERSE_DOMAIN`.
    public init(environment: AuthEnvironment) throws {
        self.init()
        if let (name, raw) = environment.first("GOOGLE_API_USE_CLIENT_CERTIFICATE",
                                               "CLOUDSDK_CONTEXT_AWARE_USE_CLIENT_CERTIFICATE") {
            switch raw.trimmed.lowercased() {
            case "": break
            case "true", "1": clientCertificateUse = .enabled
            case "false", "0": clientCertificateUse = .disabled
            default:
                throw GoogleAuthError(.invalidEnvironment, "environment variable \(name) has the unsupported value '\(raw)'. "
                                      + "Accepted values: true, false, 1, 0 (or unset for automatic)")
            }
            if clientCertificateUse != .auto { clientCertificateUseSource = "\(name)=\(raw)" }
        }
        if let raw = environment["GOOGLE_API_USE_MTLS_ENDPOINT"], !raw.trimmed.isEmpty {
            guard let mode = EndpointMode(rawValue: raw.trimmed.lowercased()) else {
                throw GoogleAuthError(.invalidEnvironment, "Unsupported GOOGLE_API_USE_MTLS_ENDPOINT value '\(raw)'. "
                                      + "Accepted values: never, auto, always.")
            }
            endpointMode = mode
            endpointModeSource = "GOOGLE_API_USE_MTLS_ENDPOINT=\(raw)"
        }
        environmentUniverse = environment["GOOGLE_CLOUD_UNIVERSE_DOMAIN"]
    }

    /// The universe domain: the caller's option, then `GOOGLE_CLOUD_UNIVERSE_DOMAIN`, then googleapis.com.
    /// An option that is empty or blank is an error (as in Google's libraries).
    public func universeDomain(option: String?) throws -> (domain: String, source: String) {
        if let option {
            guard !option.trimmed.isEmpty else {
                throw GoogleAuthError(.invalidOption, "Universe Domain cannot be an empty string.")
            }
            return (option, "the universeDomain option")
        }
        if let environmentUniverse { return (environmentUniverse, "GOOGLE_CLOUD_UNIVERSE_DOMAIN") }
        return (Self.defaultUniverse, "the default")
    }
}
