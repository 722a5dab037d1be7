import MTLS

/// What a client of one Google service needs before its first call: whether and which client
/// certificate to present, which endpoint to call, and why — decided from options and the
/// environment exactly as Google's libraries do.
public struct ServiceResolution: Sendable {
    /// The client certificate decision (nil source: plain TLS).
    public let certificate: ClientCertificateDecision
    /// The endpoint decision.
    public let endpoint: EndpointDecision

    /// Every step of both decisions, in order, for diagnostics.
    public var reasons: [String] { certificate.reasons + endpoint.reasons }

    /// Decides for `service`. `endpointOverride` is used verbatim; `clientCertificate` is a source
    /// passed in code (still subject to `GOOGLE_API_USE_CLIENT_CERTIFICATE=false`). Throws on an
    /// invalid environment value, a broken configuration file, or mTLS outside googleapis.com.
    public static func resolve(_ service: ServiceEndpoints, endpointOverride: String? = nil, universeDomain: String? = nil,
                               clientCertificate: ClientCertificateSource? = nil,
                               environment: AuthEnvironment = .process) throws -> ServiceResolution {
        let settings = try MTLSSettings(environment: environment)
        let universe = try settings.universeDomain(option: universeDomain).domain
        let certificate = try ClientCertificateDecision.decide(explicit: clientCertificate, universeDomain: universe,
                                                               settings: settings, environment: environment)
        let endpoint = try EndpointResolver.resolve(service, override: endpointOverride, universeDomain: universeDomain,
                                                    clientCertificateInUse: certificate.source != nil, settings: settings)
        return ServiceResolution(certificate: certificate, endpoint: endpoint)
    }

    /// `base` presenting the chosen certificate (if any) at every handshake.
    public func tlsConfiguration(_ base: TLSConfiguration = TLSConfiguration()) -> TLSConfiguration {
        certificate.source?.tlsConfiguration(base) ?? base
    }
}
