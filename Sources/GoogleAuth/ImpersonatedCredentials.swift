import FoundationEssentials

/// `impersonated_service_account`: source credentials call IAM Credentials' generateAccessToken
/// for the target account, on `iamcredentials.mtls.googleapis.com` when a certificate is in use.
enum ImpersonatedCredentials {
    static func make(_ file: CredentialsFile, options: CredentialsOptions, environment: AuthEnvironment) throws -> GoogleCredentials {
        let url = try file.require("service_account_impersonation_url")
        guard let target = targetAccount(url) else {
            throw GoogleAuthError(.malformedFile, "the service_account_impersonation_url in \(file.source) does not name a "
                                  + "service account (…/serviceAccounts/EMAIL:generateAccessToken)")
        }
        guard let sourceJSON = file.json["source_credentials"], sourceJSON.object != nil else {
            throw GoogleAuthError(.malformedFile, "the credentials in \(file.source) lack the \"source_credentials\" object")
        }
        var sourceOptions = options
        sourceOptions.scopes = ["https://www.googleapis.com/auth/cloud-platform"]
        sourceOptions.selfSignedJWT = nil
        let source = try GoogleCredentials.fromJSON(sourceJSON, source: "the source_credentials of \(file.source)",
                                                    options: sourceOptions, environment: environment)
        let host = options.clientCertificate != nil ? "iamcredentials.mtls.googleapis.com" : "iamcredentials.\(file.universeDomain)"
        let endpointURL = "https://\(host)/v1/projects/-/serviceAccounts/\(target):generateAccessToken"
        let delegates = (file.json["delegates"]?.array ?? []).compactMap(\.string)
        let endpoint = try TokenEndpoint(options: options)
        let scopes = options.scopes
        return GoogleCredentials(kind: .impersonatedServiceAccount(target: target), details: file.details, endpoints: [endpoint]) {
            try await generateAccessToken(endpoint, url: endpointURL, bearer: try await source.token().value,
                                          scopes: scopes, delegates: delegates)
        }
    }

    /// The account in `…/serviceAccounts/EMAIL:generateAccessToken`.
    static func targetAccount(_ url: String) -> String? {
        guard let start = url.firstRange(of: "/serviceAccounts/"),
              let end = url[start.upperBound...].firstRange(of: ":generateAccessToken") else { return nil }
        let email = url[start.upperBound..<end.lowerBound]
        return email.isEmpty ? nil : String(email)
    }

    /// IAM Credentials' generateAccessToken with `bearer` authorising the call.
    static func generateAccessToken(_ endpoint: TokenEndpoint, url: String, bearer: String, scopes: [String],
                                    delegates: [String]) async throws -> AccessToken {
        struct Request: Encodable {
            let scope: [String]
            let delegates: [String]?
            let lifetime = "3600s"
        }
        let delegatePaths = delegates.map { $0.hasPrefix("projects/") ? $0 : "projects/-/serviceAccounts/\($0)" }
        let body = try JSONEncoder().encode(Request(scope: scopes, delegates: delegatePaths.isEmpty ? nil : delegatePaths))
        let json = try await endpoint.postJSON(url, Array(body), bearer: bearer)
        guard let value = json["accessToken"]?.string, let expiry = json["expireTime"]?.string.flatMap(parseRFC3339) else {
            throw GoogleAuthError(.tokenEndpointUnavailable, "the answer of \(url) lacks accessToken or a valid expireTime")
        }
        return AccessToken(value: value, expiry: expiry)
    }

    static func parseRFC3339(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle().parse(text))
            ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
    }
}
