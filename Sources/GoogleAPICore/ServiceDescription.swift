import GoogleAuth

/// What a generated client knows about its API from the Discovery document: names, endpoints,
/// the path prefix of its methods, and its OAuth scopes.
public struct ServiceDescription: Sendable, Hashable {
    /// The API name, e.g. `storage`.
    public let name: String
    /// The version, e.g. `v1`.
    public let version: String
    /// The regular endpoint with `UNIVERSE_DOMAIN` in place of the universe (`rootUrl` generalised)
    /// and the mTLS endpoint (`mtlsRootUrl`).
    public let endpoints: ServiceEndpoints
    /// The path every method's path is relative to, e.g. `storage/v1/` (may be empty).
    public let servicePath: String
    /// The OAuth scopes the API accepts; the first is asked for by default.
    public let scopes: [String]

    /// A description as a generator writes it.
    public init(name: String, version: String, rootURL: String, mtlsRootURL: String?, servicePath: String, scopes: [String]) {
        self.name = name
        self.version = version
        let template = rootURL.replacing(".googleapis.com", with: ".UNIVERSE_DOMAIN")
        endpoints = ServiceEndpoints(template: template, mtls: mtlsRootURL ?? EndpointResolver.mtlsEndpoint(for: rootURL))
        self.servicePath = servicePath
        self.scopes = scopes
    }

    /// The regular endpoint's host in googleapis.com: self-signed JWT audiences use `https://<host>/`.
    public var defaultHost: String { endpoints.defaultHost }
}
