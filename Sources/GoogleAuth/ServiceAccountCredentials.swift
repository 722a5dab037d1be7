import FoundationEssentials
import MTLS

/// `service_account` keys: a JWT signed RS256 with the key, either exchanged at the token
/// endpoint (JWT bearer grant) or used directly as the token (self-signed JWT, AIP-4111).
enum ServiceAccountCredentials {
    struct Key {
        let email: String
        let keyID: String?
        let key: SigningKey
        let tokenURI: String
    }

    static func load(_ file: CredentialsFile) throws -> Key {
        let email = try file.require("client_email")
        var pem = Array(try file.require("private_key").utf8)
        defer { pem.zeroize() }
        let key: SigningKey
        do {
            key = try SigningKey(pem: pem, source: "the private_key of \(file.source)")
        } catch let error as TLSError {
            throw GoogleAuthError(.malformedFile, "the private_key in \(file.source) cannot be used: \(error.message)")
        }
        guard key.isRSA else {
            throw GoogleAuthError(.malformedFile, "the private_key in \(file.source) is not an RSA key (RS256 needs one)")
        }
        return Key(email: email, keyID: file.optional("private_key_id"), key: key,
                   tokenURI: file.optional("token_uri") ?? "https://oauth2.googleapis.com/token")
    }

    static func make(_ file: CredentialsFile, options: CredentialsOptions) throws -> GoogleCredentials {
        let account = try load(file)
        let universe = file.universeDomain
        // Outside googleapis.com there is no token endpoint for keys: Google's libraries sign their own.
        let selfSigned = options.selfSignedJWT ?? (universe == MTLSSettings.defaultUniverse ? nil : .scopes)
        let kind = GoogleCredentials.Kind.serviceAccount(email: account.email)
        if let selfSigned {
            let scopes = options.scopes
            return GoogleCredentials(kind: kind, details: file.details) {
                try selfSignedToken(account, mode: selfSigned, scopes: scopes)
            }
        }
        let endpoint = try TokenEndpoint(options: options)
        let url = tokenURL(account.tokenURI, mTLS: options.clientCertificate != nil)
        let scopes = options.scopes
        return GoogleCredentials(kind: kind, details: file.details, endpoints: [endpoint]) {
            let assertion = try grantAssertion(account, scopes: scopes)
            let json = try await endpoint.postForm(url, [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                                                         ("assertion", assertion)])
            return try AccessToken.oauth(json, from: url)
        }
    }

    /// The token endpoint: under mTLS Google's own host becomes its mTLS twin
    /// (`oauth2.mtls.googleapis.com`); any other URL is used as written.
    static func tokenURL(_ uri: String, mTLS: Bool) -> String {
        mTLS ? EndpointResolver.mtlsEndpoint(for: uri) : uri
    }

    /// The JWT bearer grant's assertion: `aud` is the key file's `token_uri`, `scope` the scopes.
    static func grantAssertion(_ account: Key, scopes: [String], now: Date = Date()) throws -> String {
        let issued = Int(now.timeIntervalSince1970)
        return try JWT.sign(JWT.Claims(iss: account.email, aud: account.tokenURI, scope: scopes.joined(separator: " "),
                                       iat: issued, exp: issued + 3600), keyID: account.keyID, key: account.key)
    }

    /// A self-signed JWT, valid for an hour: `aud` or `scope`, never both (AIP-4111).
    static func selfSignedToken(_ account: Key, mode: CredentialsOptions.SelfSignedJWT, scopes: [String],
                                now: Date = Date()) throws -> AccessToken {
        let issued = Int(now.timeIntervalSince1970)
        var claims = JWT.Claims(iss: account.email, sub: account.email, iat: issued, exp: issued + 3600)
        switch mode {
        case .audience(let audience): claims.aud = audience
        case .scopes: claims.scope = scopes.joined(separator: " ")
        }
        let token = try JWT.sign(claims, keyID: account.keyID, key: account.key)
        return AccessToken(value: token, expiry: Date(timeIntervalSince1970: TimeInterval(issued + 3600)),
                           obtained: Date(timeIntervalSince1970: TimeInterval(issued)))
    }
}
