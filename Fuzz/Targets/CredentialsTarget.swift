import GoogleAuth
import MTLS

/// Credentials JSON (service_account, authorized_user, external_account, impersonated_service_account).
/// No token is fetched: only parsing and checking, with an empty environment and no system roots.
enum CredentialsTarget {
    static let environment = AuthEnvironment(variables: [:], homeDirectory: "/nonexistent")
    static let options = CredentialsOptions(tls: TLSConfiguration(trustRoots: .certificates([])))

    static func run(_ bytes: [UInt8]) {
        guard let credentials = try? GoogleCredentials.fromJSON(bytes, source: "fuzz input", options: options,
                                                                environment: environment) else { return }
        _ = (credentials.description, credentials.projectID, credentials.quotaProjectID, credentials.universeDomain)
    }
}
