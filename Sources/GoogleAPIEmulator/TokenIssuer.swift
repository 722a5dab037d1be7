import FoundationEssentials
import MTLS

/// The emulator's token endpoints and its check of bearer tokens: `oauth2.googleapis.com/token`
/// (JWT-bearer grant verified RS256 against the service account's key) and STS's X.509 exchange
/// (the subject token must be the certificate presented in the TLS handshake).
/// Synchronous (a lock, not an actor), so the metadata server's threads can use it without
/// waiting on the task pool.
final class TokenIssuer: Sendable {
    private let key: SigningKey
    private let keyID: String
    private let lifetime: Duration
    private let issued = Locked<[String: ContinuousClock.Instant]>([:])

    init(key: SigningKey, keyID: String, lifetime: Duration) {
        self.key = key
        self.keyID = keyID
        self.lifetime = lifetime
    }

    /// Whether `authorization` carries a token this emulator issued (and not expired), or a
    /// self-signed JWT of its service account with a scope or with `service`'s audience
    /// (`https://storage.googleapis.com/`), as Google checks it.
    func accepts(_ authorization: String?, service: String) -> Bool {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return false }
        let token = String(authorization.dropFirst(7))
        if let expiry = issued.withLock({ $0[token] }) { return expiry > .now }
        guard let jwt = try? JWTClaims.verify(token, key: key) else { return false }
        return jwt.iss == EmulatorFiles.serviceAccountEmail
            && (jwt.aud == "https://\(service).googleapis.com/" || (jwt.aud == nil && jwt.scope?.isEmpty == false))
    }

    /// `POST /token` on oauth2: the JWT-bearer grant.
    func oauthToken(_ form: [String: String]) -> APIResponse {
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" else {
            return oauthError(400, "unsupported_grant_type", "Invalid grant_type: \(form["grant_type"] ?? "")")
        }
        guard let assertion = form["assertion"], let claims = try? JWTClaims.verify(assertion, key: key) else {
            return oauthError(400, "invalid_grant", "Invalid JWT Signature.")
        }
        guard claims.iss == EmulatorFiles.serviceAccountEmail else {
            return oauthError(400, "invalid_grant", "Invalid grant: account not found")
        }
        guard claims.aud == "https://oauth2.googleapis.com/token", claims.scope?.isEmpty == false else {
            return oauthError(400, "invalid_grant", "Invalid JWT: the audience must be the token URI and a scope is required.")
        }
        return grant()
    }

    /// `POST /v1/token` on STS: the mTLS token exchange of an X.509 certificate.
    func stsToken(_ form: [String: String], presented: Certificate?) -> APIResponse {
        guard let presented else { return oauthError(401, "invalid_request", "mTLS client certificate required") }
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange",
              form["subject_token_type"] == "urn:ietf:params:oauth:token-type:mtls", form["audience"]?.isEmpty == false else {
            return oauthError(400, "invalid_request", "grant_type, audience and subject_token_type (mtls) are required")
        }
        let chain = (form["subject_token"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }) ?? []
        guard let leaf = chain.first.flatMap({ Data(base64Encoded: $0) }), Array(leaf) == presented.der else {
            return oauthError(400, "invalid_grant", "subject token does not match the presented client certificate")
        }
        var response = grant()
        response.body = Array(try! JSONEncoder().encode([
            "access_token": JSONLiteral.string(newToken()), "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "token_type": "Bearer", "expires_in": .integer(Int(lifetime.components.seconds))]))
        return response
    }

    /// A token (as IAM Credentials mints it) valid for `lifetime`.
    func issue(lifetime: Duration) -> (token: String, expiry: Date) {
        (newToken(lifetime: lifetime), Date() + Double(lifetime.components.seconds))
    }

    /// The metadata server's answer for the default service account's token.
    func metadataToken() -> String {
        String(decoding: grant().body, as: UTF8.self)
    }

    private func grant() -> APIResponse {
        APIResponse.json(200, ["access_token": JSONLiteral.string(newToken()), "token_type": "Bearer",
                               "expires_in": .integer(Int(lifetime.components.seconds))] as JSONLiteral)
    }

    private func newToken(lifetime: Duration? = nil) -> String {
        let token = "ya29.emulator-" + (0..<3).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        issued.withLock { $0[token] = .now + (lifetime ?? self.lifetime) }
        return token
    }

    private func oauthError(_ status: Int, _ error: String, _ description: String) -> APIResponse {
        APIResponse.json(status, ["error": JSONLiteral.string(error), "error_description": .string(description)] as JSONLiteral)
    }
}

/// The claims of a JWT whose RS256 signature checked out, and that is within its validity.
struct JWTClaims: Decodable {
    let iss: String
    let aud: String?
    let scope: String?
    let iat: Int
    let exp: Int

    struct Invalid: Error {}

    static func verify(_ token: String, key: SigningKey, now: Date = Date()) throws -> JWTClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = base64URL(parts[0]), let payload = base64URL(parts[1]),
              let signature = base64URL(parts[2]),
              let alg = try? JSONDecoder().decode([String: String].self, from: Data(header))["alg"], alg == "RS256",
              key.verifySHA256(Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8), signature: signature) else {
            throw Invalid()
        }
        let claims = try JSONDecoder().decode(JWTClaims.self, from: Data(payload))
        let time = Int(now.timeIntervalSince1970)
        guard claims.iat <= time + 60, claims.exp > time, claims.exp - claims.iat <= 3600 else { throw Invalid() }
        return claims
    }

    private static func base64URL(_ text: Substring) -> [UInt8]? {
        var standard = text.replacing("-", with: "+").replacing("_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: String(standard)).map(Array.init)
    }
}
