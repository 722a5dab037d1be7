import Foundation
import GoogleAuth
import TestSupport
import Testing

/// Bad credentials files: each a typed error naming the file (and field), never showing a secret.
@Suite("Credentials files")
struct CredentialsFileTests {
    static var wif: [String: Any] { ["type": "external_account", "audience": "//iam.googleapis.com/x",
                                     "token_url": "https://sts.mtls.googleapis.com/v1/token"] }

    @Test("malformed or incomplete credentials are errors naming the file and what is missing", arguments: [
        ("not json at all", "is not valid JSON"),
        (#"["a list"]"#, "is not a JSON object"),
        (#"{"client_email": "a@b"}"#, "lack the \"type\" field"),
        (#"{"type": "gdch_service_account"}"#, "have type \"gdch_service_account\""),
        (#"{"type": "service_account", "private_key": "x"}"#, "lack the \"client_email\" field"),
        (#"{"type": "service_account", "client_email": "a@b", "private_key": "not a key"}"#, "private_key"),
        (#"{"type": "authorized_user", "client_id": "c", "client_secret": "s"}"#, "lack the \"refresh_token\" field"),
        (#"{"type": "impersonated_service_account", "service_account_impersonation_url": "https://x/v1/y"}"#,
         "does not name a service account"),
        (#"{"type": "impersonated_service_account", "service_account_impersonation_url": "https://x/serviceAccounts/a@b:generateAccessToken"}"#,
         "lack the \"source_credentials\" object"),
        (#"{"type": "external_account", "audience": "a"}"#, "lack the \"credential_source\" object"),
    ])
    func badFiles(_ content: String, _ expected: String) throws {
        let url = try TestPKI.shared.scratch("creds").appendingPathComponent("credentials.json")
        try Data(content.utf8).write(to: url)
        let error = #expect(throws: GoogleAuthError.self) { try GoogleCredentials.fromFile(url.path) }
        #expect(error?.message.contains(url.path) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }

    @Test("an EC key cannot sign RS256 and says so")
    func nonRSAKey() throws {
        let key = try TestPKI.shared.authority.makeClientCertificate(commonName: "ec").privateKeyPEM()
        let url = try TestPKI.shared.scratch("creds").appendingPathComponent("ec.json")
        _ = try TestCredentials.write(["type": "service_account", "client_email": "a@b", "private_key": key], to: url)
        let error = #expect(throws: GoogleAuthError.self) { try GoogleCredentials.fromFile(url.path) }
        #expect(error?.message.contains("not an RSA key") == true)
    }

    @Test("X.509 credential sources are validated with Google's texts (D.10 #58)", arguments: [
        (#"{"use_default_certificate_config": true, "certificate_config_location": "test"}"#,
         "Invalid certificate configuration, certificate_config_location cannot be specified when use_default_certificate_config = true."),
        (#"{"use_default_certificate_config": false}"#,
         "Invalid certificate configuration, use_default_certificate_config should be true if no certificate_config_location is provided."),
    ])
    func certificateSourceValidation(_ certificate: String, _ expected: String) throws {
        var object = Self.wif
        object["credential_source"] = ["certificate": try JSONSerialization.jsonObject(with: Data(certificate.utf8))]
        let url = try TestPKI.shared.scratch("creds").appendingPathComponent("wif.json")
        _ = try TestCredentials.write(object, to: url)
        let error = #expect(throws: GoogleAuthError.self) { try GoogleCredentials.fromFile(url.path) }
        #expect(error?.message.hasPrefix(expected) == true, "\(error?.message ?? "")")
    }

    @Test("external accounts with other credential sources are refused by name", arguments: ["file", "url", "executable", "environment_id"])
    func unsupportedCredentialSource(_ kind: String) throws {
        var object = Self.wif
        object["credential_source"] = [kind: "x"]
        let url = try TestPKI.shared.scratch("creds").appendingPathComponent("wif.json")
        _ = try TestCredentials.write(object, to: url)
        let error = #expect(throws: GoogleAuthError.self) { try GoogleCredentials.fromFile(url.path) }
        #expect(error?.code == .unsupportedCredentials)
        #expect(error?.message.contains(kind) == true)
    }

    @Test("an X.509 source whose certificate config is missing or lacks a workload section is an error naming it")
    func certificateSourceConfig() throws {
        var machine = try FakeMachine()
        var object = Self.wif
        object["credential_source"] = ["certificate": ["certificate_config_location": machine.home.path + "/none.json"]]
        let url = machine.home.appendingPathComponent("wif.json")
        _ = try TestCredentials.write(object, to: url)
        var error = #expect(throws: GoogleAuthError.self) { try GoogleCredentials.fromFile(url.path, environment: machine.environment) }
        #expect(error?.message.contains("none.json") == true)
        machine.variables["GOOGLE_API_CERTIFICATE_CONFIG"] = try machine.write(#"{"cert_configs": {}}"#, at: "empty.json")
        object["credential_source"] = ["certificate": ["use_default_certificate_config": true]]
        _ = try TestCredentials.write(object, to: url)
        error = #expect(throws: GoogleAuthError.self) { try GoogleCredentials.fromFile(url.path, environment: machine.environment) }
        #expect(error?.message.contains("a \"workload\" cert config is expected") == true)
    }

    @Test("an access token never shows its value when printed")
    func tokenDescriptionRedacts() {
        let token = AccessToken(value: "ya29.secret-token-value", expiry: nil)
        #expect(!"\(token)".contains("secret-token"))
        #expect(token.authorizationHeader == "Bearer ya29.secret-token-value")
    }
}
