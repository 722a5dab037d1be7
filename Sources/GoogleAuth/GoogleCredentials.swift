import FoundationEssentials
import MTLS

/// Something that hands out access tokens for API calls.
public protocol CredentialsProvider: Sendable {
    /// A valid token: cached, or refreshed once for all concurrent callers.
    func token() async throws -> AccessToken
    /// Forgets a cached token (an API answered 401 with it), so the next `token()` fetches anew.
    func invalidate() async
}

extension CredentialsProvider {
    /// Providers without a cache have nothing to forget.
    public func invalidate() async {}
}

/// Google credentials of any supported type, with a token cache.
///
/// Find them the way Google's libraries do with `applicationDefault(options:environment:)`, or
/// load a given file with `fromFile(_:options:)`. Call `shutdown()` when done to close token
/// connections (they also close themselves after 30 s idle).
public final class GoogleCredentials: CredentialsProvider, CustomStringConvertible {
    /// The type of credentials and whom they act as.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// A service account key (`service_account`): JWT bearer grant, or a self-signed JWT.
        case serviceAccount(email: String)
        /// A user's refresh token (`authorized_user`, what `gcloud auth application-default login` writes).
        case authorizedUser(clientID: String)
        /// Workload identity federation with an X.509 certificate (`external_account`).
        case externalAccount(audience: String)
        /// Tokens for `target`, minted by IAM Credentials with the source credentials.
        case impersonatedServiceAccount(target: String)
        /// The GCE / GKE / Cloud Run metadata server's default service account.
        case metadataServer(host: String)

        public var description: String {
            switch self {
            case .serviceAccount(let email): "service account \(email)"
            case .authorizedUser(let clientID): "authorized user (OAuth client \(clientID))"
            case .externalAccount(let audience): "external account \(audience)"
            case .impersonatedServiceAccount(let target): "impersonated service account \(target)"
            case .metadataServer(let host): "metadata server \(host)"
            }
        }
    }

    /// The type of credentials.
    public let kind: Kind
    /// Where they were found, e.g. `GOOGLE_APPLICATION_CREDENTIALS (/path/key.json)`.
    public var source: String { details.source }
    /// The project the credentials belong to: `GOOGLE_CLOUD_PROJECT` (for ADC), a key's
    /// `project_id`, or the metadata server's project.
    public var projectID: String? { details.projectID }
    /// The project billed for quota (`x-goog-user-project`): `GOOGLE_CLOUD_QUOTA_PROJECT` (for ADC)
    /// or the file's `quota_project_id`.
    public var quotaProjectID: String? { details.quotaProjectID }
    /// The universe the credentials belong to (`universe_domain`, default googleapis.com).
    public var universeDomain: String { details.universeDomain }

    /// Where credentials came from and what they say about projects and universe.
    struct Details: Sendable {
        var source: String
        var projectID: String?
        var quotaProjectID: String?
        var universeDomain = MTLSSettings.defaultUniverse
    }

    private let details: Details
    private let cache: TokenCache
    private let endpoints: [TokenEndpoint]

    init(kind: Kind, details: Details, endpoints: [TokenEndpoint] = [], fetch: @escaping @Sendable () async throws -> AccessToken) {
        self.kind = kind
        self.details = details
        self.endpoints = endpoints
        cache = TokenCache(fetch: fetch)
    }

    private init(_ other: GoogleCredentials, details: Details) {
        kind = other.kind
        self.details = details
        endpoints = other.endpoints
        cache = other.cache
    }

    public var description: String { "\(kind) from \(source)" }

    public func token() async throws -> AccessToken { try await cache.get() }

    /// Drops the cached token so the next call fetches a new one (after an API answered 401).
    public func invalidate() async { await cache.invalidate() }

    /// Closes connections to token endpoints.
    public func shutdown() async {
        for endpoint in endpoints { await endpoint.shutdown() }
    }

    /// Credentials from a JSON key or configuration file.
    /// `environment` supplies the default certificate config path for X.509 federation.
    public static func fromFile(_ path: String, options: CredentialsOptions = CredentialsOptions(),
                                environment: AuthEnvironment = .process) throws -> GoogleCredentials {
        guard let json = try ConfigFile.json(path, what: "credentials file") else {
            throw GoogleAuthError(.credentialsNotFound, "the credentials file \(path) does not exist")
        }
        return try fromJSON(json, source: path, options: options, environment: environment)
    }

    /// Credentials from the JSON of a key or configuration file; `source` names it in errors.
    public static func fromJSON(_ bytes: [UInt8], source: String, options: CredentialsOptions = CredentialsOptions(),
                                environment: AuthEnvironment = .process) throws -> GoogleCredentials {
        try fromJSON(JSONValue.parse(bytes, source: source), source: source, options: options, environment: environment)
    }

    static func fromJSON(_ json: JSONValue, source: String, options: CredentialsOptions,
                         environment: AuthEnvironment) throws -> GoogleCredentials {
        let file = CredentialsFile(json: json, source: source)
        switch try file.require("type") {
        case "service_account": return try ServiceAccountCredentials.make(file, options: options)
        case "authorized_user": return try AuthorizedUserCredentials.make(file, options: options)
        case "external_account": return try ExternalAccountCredentials.make(file, options: options, environment: environment)
        case "impersonated_service_account":
            return try ImpersonatedCredentials.make(file, options: options, environment: environment)
        case let type:
            throw GoogleAuthError(.unsupportedCredentials, "the credentials in \(source) have type \"\(type)\"; supported: "
                                  + "service_account, authorized_user, external_account, impersonated_service_account")
        }
    }

    /// Application Default Credentials, in Google's order: `GOOGLE_APPLICATION_CREDENTIALS`, then
    /// gcloud's `application_default_credentials.json`, then the metadata server (unless
    /// `NO_GCE_CHECK=true`), asked with `options.metadataTimeout` so a laptop does not hang.
    public static func applicationDefault(options: CredentialsOptions = CredentialsOptions(),
                                          environment: AuthEnvironment = .process) async throws -> GoogleCredentials {
        if let path = environment["GOOGLE_APPLICATION_CREDENTIALS"] {
            guard ConfigFile.exists(path) else {
                throw GoogleAuthError(.credentialsNotFound, "GOOGLE_APPLICATION_CREDENTIALS names \(path), which does not exist: "
                                      + "fix the path or unset the variable")
            }
            return try fromFile(path, options: options, environment: environment)
                .found(at: "GOOGLE_APPLICATION_CREDENTIALS (\(path))", environment: environment)
        }
        let gcloud = (environment["CLOUDSDK_CONFIG"] ?? environment.home(".config/gcloud")) + "/application_default_credentials.json"
        if ConfigFile.exists(gcloud) {
            return try fromFile(gcloud, options: options, environment: environment)
                .found(at: "gcloud's application default credentials (\(gcloud))", environment: environment)
        }
        let metadata = MetadataServer(environment: environment, timeout: options.metadataTimeout)
        if environment["NO_GCE_CHECK"]?.lowercased() != "true", await metadata.isAvailable() {
            let project = try? await metadata.text("/computeMetadata/v1/project/project-id")
            let scopes = options.scopes
            return GoogleCredentials(kind: .metadataServer(host: metadata.host),
                                     details: Details(source: "the metadata server \(metadata.host)", projectID: project ?? nil)) {
                try await metadata.token(scopes: scopes)
            }.found(at: "the metadata server \(metadata.host)", environment: environment)
        }
        throw GoogleAuthError(.credentialsNotFound, "no credentials found: GOOGLE_APPLICATION_CREDENTIALS is unset, \(gcloud) "
                              + "does not exist, and no metadata server answered at \(metadata.host). Set "
                              + "GOOGLE_APPLICATION_CREDENTIALS to a key file or run `gcloud auth application-default login`")
    }

    /// The same credentials found at `source`, with ADC's project overrides from the environment.
    private func found(at source: String, environment: AuthEnvironment) -> GoogleCredentials {
        var details = details
        details.source = source
        details.projectID = environment.first("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")?.value ?? details.projectID
        details.quotaProjectID = environment["GOOGLE_CLOUD_QUOTA_PROJECT"] ?? details.quotaProjectID
        return GoogleCredentials(self, details: details)
    }
}

/// A credentials JSON object with errors that name the file and the field.
struct CredentialsFile {
    let json: JSONValue
    let source: String

    func require(_ field: String) throws -> String {
        guard let value = json[field]?.string, !value.isEmpty else {
            throw GoogleAuthError(.malformedFile, "the credentials in \(source) lack the \"\(field)\" field")
        }
        return value
    }

    func optional(_ field: String) -> String? {
        json[field]?.string.flatMap { $0.isEmpty ? nil : $0 }
    }

    var universeDomain: String { optional("universe_domain") ?? MTLSSettings.defaultUniverse }

    /// Source, projects and universe as the file states them.
    var details: GoogleCredentials.Details {
        GoogleCredentials.Details(source: source, projectID: optional("project_id"),
                                  quotaProjectID: optional("quota_project_id"), universeDomain: universeDomain)
    }
}
