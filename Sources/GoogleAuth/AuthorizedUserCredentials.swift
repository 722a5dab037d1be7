import FoundationEssentials

/// `authorized_user`: a user's refresh token, exchanged at the OAuth token endpoint.
enum AuthorizedUserCredentials {
    static func make(_ file: CredentialsFile, options: CredentialsOptions) throws -> GoogleCredentials {
        let clientID = try file.require("client_id")
        let secret = try file.require("client_secret")
        let refreshToken = try file.require("refresh_token")
        let url = ServiceAccountCredentials.tokenURL(file.optional("token_uri") ?? "https://oauth2.googleapis.com/token",
                                                     mTLS: options.clientCertificate != nil)
        let endpoint = try TokenEndpoint(options: options)
        return GoogleCredentials(kind: .authorizedUser(clientID: clientID), details: file.details, endpoints: [endpoint]) {
            let json = try await endpoint.postForm(url, [("grant_type", "refresh_token"), ("client_id", clientID),
                                                         ("client_secret", secret), ("refresh_token", refreshToken)])
            return try AccessToken.oauth(json, from: url)
        }
    }
}
