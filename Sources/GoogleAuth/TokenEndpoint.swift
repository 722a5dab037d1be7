import FoundationEssentials
import HTTP2
import MTLS

/// Talks to token endpoints (OAuth 2, STS, IAM Credentials) over HTTP/2, presenting the client
/// certificate when one is configured. Errors carry the server's error text, never a token: what
/// we sent that is secret (refresh token, client secret, assertion, bearer) is cut from the text
/// even when the server echoes it.
final class TokenEndpoint: Sendable {
    /// Form fields whose values are credentials.
    static let secretFields: Set<String> = ["refresh_token", "client_secret", "assertion", "subject_token", "actor_token"]

    private let client: HTTPClient
    private let timeout: Duration

    init(options: CredentialsOptions, identity: ClientCertificateSource? = nil) throws {
        let source = identity ?? options.clientCertificate
        let tls = source.map { $0.tlsConfiguration(options.tls) } ?? options.tls
        client = try HTTPClient(configuration: HTTPClient.Configuration(tls: tls, connectTo: options.connectTo,
                                                                        idleTimeout: .seconds(30)))
        timeout = options.requestTimeout
    }

    func shutdown() async { await client.shutdown() }

    /// POSTs an `application/x-www-form-urlencoded` body; empty values are left out.
    func postForm(_ url: String, _ fields: [(String, String)]) async throws -> JSONValue {
        let body = fields.filter { !$0.1.isEmpty }
            .map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
        return try await post(url, body: Array(body.utf8), contentType: "application/x-www-form-urlencoded", bearer: nil,
                              secrets: fields.filter { Self.secretFields.contains($0.0) }.map(\.1))
    }

    /// POSTs a JSON body with a bearer token.
    func postJSON(_ url: String, _ body: [UInt8], bearer: String) async throws -> JSONValue {
        try await post(url, body: body, contentType: "application/json", bearer: bearer, secrets: [bearer])
    }

    private func post(_ url: String, body: [UInt8], contentType: String, bearer: String?,
                      secrets: [String]) async throws -> JSONValue {
        var headers: HTTPHeaders = ["content-type": contentType, "accept": "application/json"]
        if let bearer { headers.add(name: "authorization", value: "Bearer \(bearer)") }
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: .bytes(body))
        let status: Int, bytes: [UInt8]
        do {
            let response = try await client.execute(request, timeout: timeout)
            status = response.status
            bytes = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw GoogleAuthError(.tokenEndpointUnavailable, "the token endpoint \(url) could not be reached: \(error)")
        }
        let json = try? JSONValue.parse(bytes, source: "the answer of \(url)")
        guard (200..<300).contains(status) else {
            throw GoogleAuthError(.tokenRefused, "the token endpoint \(url) refused with HTTP \(status)"
                                  + (json.flatMap(Self.errorText).map { ": \(Self.redacting(secrets, in: $0))" } ?? ""))
        }
        guard let json, json.object != nil else {
            throw GoogleAuthError(.tokenEndpointUnavailable, "the token endpoint \(url) answered HTTP \(status) without a JSON object")
        }
        return json
    }

    /// `text` with each secret, as sent or percent-encoded, replaced by `<redacted>`.
    static func redacting(_ secrets: [String], in text: String) -> String {
        secrets.filter { !$0.isEmpty }.flatMap { [$0, PercentEncoding.encode($0)] }
            .reduce(text) { $0.replacing($1, with: "<redacted>") }
    }

    /// The server's explanation: OAuth's `error`/`error_description` or Google's error envelope.
    static func errorText(_ json: JSONValue) -> String? {
        if let envelope = json["error"]?.object {
            return [envelope["status"]?.string, envelope["message"]?.string].compactMap { $0 }.joined(separator: ": ")
        }
        guard let error = json["error"]?.string else { return nil }
        return [error, json["error_description"]?.string].compactMap { $0 }.joined(separator: ": ")
    }
}

extension AccessToken {
    /// A token from an OAuth 2 / STS answer: `access_token` and `expires_in`.
    static func oauth(_ json: JSONValue, from url: String) throws -> AccessToken {
        guard let value = json["access_token"]?.string, !value.isEmpty else {
            throw GoogleAuthError(.tokenEndpointUnavailable, "the answer of \(url) has no access_token")
        }
        let now = Date()
        let lifetime = json["expires_in"]?.number ?? json["expires_in"]?.string.flatMap(Double.init)
        return AccessToken(value: value, expiry: lifetime.map { now.addingTimeInterval($0) }, obtained: now)
    }
}
