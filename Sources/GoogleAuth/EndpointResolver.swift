/// A service's two endpoints: the regular one (per universe) and the mTLS one.
///
/// Generated clients fill both from the Discovery document (`rootUrl`, `mtlsRootUrl`); `named(_:)`
/// derives them for a service without such data, by Google's rule.
public struct ServiceEndpoints: Sendable, Hashable {
    /// The regular endpoint with `UNIVERSE_DOMAIN` where the universe goes,
    /// e.g. `https://storage.UNIVERSE_DOMAIN/`.
    public var template: String
    /// The mTLS endpoint, e.g. `https://storage.mtls.googleapis.com/`.
    public var mtls: String

    /// Endpoints given explicitly (from a Discovery document).
    public init(template: String, mtls: String) {
        self.template = template
        self.mtls = mtls
    }

    /// `https://{name}.UNIVERSE_DOMAIN/` and its mTLS form by `EndpointResolver.mtlsEndpoint(for:)`.
    public static func named(_ name: String) -> ServiceEndpoints {
        ServiceEndpoints(template: "https://\(name).UNIVERSE_DOMAIN/",
                         mtls: EndpointResolver.mtlsEndpoint(for: "https://\(name).googleapis.com/"))
    }

    /// The regular endpoint in `universe`.
    public func regular(in universe: String) -> String {
        guard let range = template.firstRange(of: "UNIVERSE_DOMAIN") else { return template }
        return template[..<range.lowerBound] + universe + template[range.upperBound...]
    }

    /// The host of the regular endpoint in the googleapis.com universe (self-signed JWT audiences use it).
    public var defaultHost: String { host(of: regular(in: MTLSSettings.defaultUniverse)) }
}

/// Which endpoint a client talks to, and why.
public struct EndpointDecision: Sendable, Hashable {
    /// The endpoint URL (or host) to use, exactly as chosen.
    public let endpoint: String
    /// Whether it is the service's mTLS endpoint.
    public let isMTLSEndpoint: Bool
    /// The universe domain in effect.
    public let universeDomain: String
    /// Each step of the decision in words, for diagnostics (`gmtls doctor`).
    public let reasons: [String]
}

/// Picks the endpoint as Google's libraries do: the caller's override verbatim, else the mTLS
/// endpoint when `GOOGLE_API_USE_MTLS_ENDPOINT` is `always`, or `auto` with a client certificate
/// in use, else the regular endpoint in the universe.
public enum EndpointResolver {
    /// Decides the endpoint for `service`. `clientCertificateInUse` is the outcome of certificate
    /// discovery (see `ClientCertificateDecision`). Throws when mTLS is chosen outside googleapis.com.
    public static func resolve(_ service: ServiceEndpoints, override: String? = nil, universeDomain option: String? = nil,
                               clientCertificateInUse: Bool, settings: MTLSSettings) throws -> EndpointDecision {
        let (universe, universeSource) = try settings.universeDomain(option: option)
        var reasons = ["universe domain \(universe) (from \(universeSource))"]
        if let override {
            reasons.append("endpoint \(override) given by the caller, used as is")
            return EndpointDecision(endpoint: override, isMTLSEndpoint: false, universeDomain: universe, reasons: reasons)
        }
        let mode = settings.endpointMode
        let modeText = settings.endpointModeSource ?? "GOOGLE_API_USE_MTLS_ENDPOINT unset (auto)"
        guard mode == .always || (mode == .auto && clientCertificateInUse) else {
            reasons.append(mode == .never ? "regular endpoint: \(modeText)"
                                          : "regular endpoint: \(modeText) and no client certificate in use")
            return EndpointDecision(endpoint: service.regular(in: universe), isMTLSEndpoint: false,
                                    universeDomain: universe, reasons: reasons)
        }
        guard universe == MTLSSettings.defaultUniverse else {
            throw GoogleAuthError(.mtlsNotSupported, "mTLS is not supported in any universe other than googleapis.com.")
        }
        reasons.append(mode == .always ? "mTLS endpoint: \(modeText)"
                                       : "mTLS endpoint: \(modeText) and a client certificate is in use")
        return EndpointDecision(endpoint: service.mtls, isMTLSEndpoint: true, universeDomain: universe, reasons: reasons)
    }

    /// Google's rule for a service's default mTLS endpoint: `name.googleapis.com` becomes
    /// `name.mtls.googleapis.com`, `name.sandbox.googleapis.com` becomes
    /// `name.mtls.sandbox.googleapis.com`; anything already mTLS or outside googleapis.com, and any
    /// name with more labels before googleapis.com, is returned unchanged.
    public static func mtlsEndpoint(for endpoint: String) -> String {
        guard let dot = endpoint.firstIndex(of: "."), dot != endpoint.startIndex else { return endpoint }
        var rest = endpoint[dot...]
        let isMTLS = rest.hasPrefix(".mtls")
        if isMTLS { rest = rest.dropFirst(5) }
        let isSandbox = rest.hasPrefix(".sandbox")
        if isSandbox { rest = rest.dropFirst(8) }
        guard !isMTLS, rest.hasPrefix(".googleapis.com") else { return endpoint }
        return isSandbox ? endpoint.replacing("sandbox.googleapis.com", with: "mtls.sandbox.googleapis.com")
                         : endpoint.replacing(".googleapis.com", with: ".mtls.googleapis.com")
    }
}

/// The host of a URL or `host[:port]` string.
func host(of endpoint: String) -> String {
    var rest = Substring(endpoint)
    if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
    let end = rest.firstIndex { $0 == "/" || $0 == ":" } ?? rest.endIndex
    return String(rest[..<end])
}
