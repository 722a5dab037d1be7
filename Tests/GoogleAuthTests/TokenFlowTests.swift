import Foundation
import GoogleAuth
import MTLS
import TestSupport
import Testing

/// Token flows end to end over TLS + HTTP/2 against fake Google endpoints on loopback: the peer
/// verifies our JWTs with google-auth's own `jwt.decode` and checks the client certificate at STS.
@Suite("Token flows")
struct TokenFlowTests {
    let pki = TestPKI.shared

    func options(_ peer: GoogleAuthPeer, certificate: ClientCertificateSource? = nil) -> CredentialsOptions {
        CredentialsOptions(clientCertificate: certificate, tls: TLSConfiguration(trustRoots: pki.trustRoots),
                           connectTo: peer.connectTo)
    }

    var clientCertificate: ClientCertificateSource {
        get throws { .explicit(try pki.clientIdentity()) }
    }

    @Test("a service account's signed JWT is exchanged at oauth2.googleapis.com, without a certificate")
    func serviceAccountJWTBearer() async throws {
        let keyFile = try TestCredentials.serviceAccount(in: try pki.scratch("sa"))
        let peer = try await GoogleAuthPeer.start(serviceAccounts: [keyFile])
        defer { peer.stop() }
        let credentials = try GoogleCredentials.fromFile(keyFile, options: options(peer))
        defer { Task { await credentials.shutdown() } }
        let token = try await credentials.token()
        #expect(token.value.hasPrefix("ya29.peer-"))
        #expect(credentials.kind == .serviceAccount(email: "robot@test-project.iam.gserviceaccount.com"))
        #expect(credentials.projectID == "test-project")
        let request = try #require(try peer.tokenRequests().first)
        #expect(request.host == "oauth2.googleapis.com")
        #expect(request.grantType == "urn:ietf:params:oauth:grant-type:jwt-bearer")
        #expect(request.clientCertificate == nil)
        #expect(request.status == 200)
    }

    @Test("under mTLS the token request goes to oauth2.mtls.googleapis.com and presents the certificate")
    func serviceAccountOverMTLS() async throws {
        let keyFile = try TestCredentials.serviceAccount(in: try pki.scratch("sa"))
        let peer = try await GoogleAuthPeer.start(serviceAccounts: [keyFile])
        defer { peer.stop() }
        let credentials = try GoogleCredentials.fromFile(keyFile, options: options(peer, certificate: try clientCertificate))
        defer { Task { await credentials.shutdown() } }
        _ = try await credentials.token()
        let request = try #require(try peer.tokenRequests().first)
        #expect(request.host == "oauth2.mtls.googleapis.com")
        #expect(request.clientCertificate == "test-device")
        #expect(request.status == 200)
    }

    @Test("concurrent callers share one refresh, and the token is reused until near expiry")
    func oneRefreshForConcurrentCallers() async throws {
        let keyFile = try TestCredentials.serviceAccount(in: try pki.scratch("sa"))
        let peer = try await GoogleAuthPeer.start(serviceAccounts: [keyFile], tokenDelay: 0.5)
        defer { peer.stop() }
        let credentials = try GoogleCredentials.fromFile(keyFile, options: options(peer))
        defer { Task { await credentials.shutdown() } }
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await credentials.token().value } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(tokens.count == 1)
        _ = try await credentials.token()
        #expect(try peer.tokenRequests().count == 1)
    }

    @Test("a token close to expiry is refreshed")
    func shortLivedTokenRefreshed() async throws {
        let keyFile = try TestCredentials.serviceAccount(in: try pki.scratch("sa"))
        let peer = try await GoogleAuthPeer.start(serviceAccounts: [keyFile], expiresIn: 2)
        defer { peer.stop() }
        let credentials = try GoogleCredentials.fromFile(keyFile, options: options(peer))
        defer { Task { await credentials.shutdown() } }
        let first = try await credentials.token()
        try await Task.sleep(for: .milliseconds(1200))
        let second = try await credentials.token()
        #expect(first.value != second.value)
        #expect(try peer.tokenRequests().count == 2)
    }

    @Test("an authorized user's refresh token is exchanged; a refusal carries the server's text, not the secrets")
    func authorizedUser() async throws {
        let directory = try pki.scratch("user")
        let good = try TestCredentials.authorizedUser(in: directory)
        let bad = try TestCredentials.authorizedUser(in: directory, secret: "wrong-secret-9b1e")
        let peer = try await GoogleAuthPeer.start(authorizedUsers: [good])
        defer { peer.stop() }
        let credentials = try GoogleCredentials.fromFile(good, options: options(peer))
        defer { Task { await credentials.shutdown() } }
        #expect(try await credentials.token().value.hasPrefix("ya29.peer-"))
        #expect(credentials.quotaProjectID == "user-project")
        #expect(credentials.projectID == nil)

        let refused = try GoogleCredentials.fromFile(bad, options: options(peer))
        defer { Task { await refused.shutdown() } }
        let error = await #expect(throws: GoogleAuthError.self) { try await refused.token() }
        #expect(error?.code == .tokenRefused)
        #expect(error?.message.contains("HTTP 400: invalid_grant: Bad Request") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("wrong-secret-9b1e") == false)
        #expect(error?.message.contains("1//refresh") == false)
    }

    @Test("X.509 workload identity federation: the certificate chain is exchanged at STS over mTLS, then impersonated")
    func externalAccountCertificate() async throws {
        var machine = try FakeMachine()
        let files = try machine.workloadFiles(commonName: "workload-x509")
        let config = try machine.workloadConfig(cert: files.cert, key: files.key, at: "wif/certificate_config.json")
        machine.variables["GOOGLE_API_CERTIFICATE_CONFIG"] = config
        let peer = try await GoogleAuthPeer.start()
        defer { peer.stop() }
        for impersonate in [false, true] {
            var object: [String: Any] = [
                "type": "external_account", "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/r",
                "subject_token_type": "urn:ietf:params:oauth:token-type:mtls", "token_url": "https://sts.mtls.googleapis.com/v1/token",
                "credential_source": ["certificate": ["use_default_certificate_config": true]]]
            if impersonate {
                object["service_account_impersonation_url"] = "https://iamcredentials.mtls.googleapis.com/v1/projects/-/"
                    + "serviceAccounts/target@test-project.iam.gserviceaccount.com:generateAccessToken"
            }
            let file = try TestCredentials.write(object, to: machine.home.appendingPathComponent("wif-\(impersonate).json"))
            let credentials = try GoogleCredentials.fromFile(file, options: options(peer), environment: machine.environment)
            defer { Task { await credentials.shutdown() } }
            #expect(try await credentials.token().value.hasPrefix("ya29.peer-"))
        }
        let requests = try peer.tokenRequests()
        #expect(requests.map(\.host) == ["sts.mtls.googleapis.com", "sts.mtls.googleapis.com", "iamcredentials.mtls.googleapis.com"])
        #expect(requests.allSatisfy { $0.clientCertificate == "workload-x509" && $0.status == 200 })
    }

    @Test("impersonated credentials call IAM Credentials, on its mTLS host when a certificate is in use")
    func impersonatedServiceAccount() async throws {
        let directory = try pki.scratch("imp")
        let keyFile = try TestCredentials.serviceAccount(in: directory)
        let peer = try await GoogleAuthPeer.start(serviceAccounts: [keyFile])
        defer { peer.stop() }
        let source = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: keyFile)))
        let file = try TestCredentials.write([
            "type": "impersonated_service_account", "source_credentials": source, "delegates": [],
            "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
                + "target@test-project.iam.gserviceaccount.com:generateAccessToken",
        ], to: directory.appendingPathComponent("impersonated.json"))
        for certificate in [nil, try clientCertificate] {
            let credentials = try GoogleCredentials.fromFile(file, options: options(peer, certificate: certificate))
            defer { Task { await credentials.shutdown() } }
            #expect(try await credentials.token().value.hasPrefix("ya29.peer-"))
            #expect(credentials.kind == .impersonatedServiceAccount(target: "target@test-project.iam.gserviceaccount.com"))
        }
        let hosts = try peer.tokenRequests().map(\.host)
        #expect(hosts == ["oauth2.googleapis.com", "iamcredentials.googleapis.com",
                          "oauth2.mtls.googleapis.com", "iamcredentials.mtls.googleapis.com"])
    }

    @Test("self-signed JWTs carry aud or scope, never both, and verify with google-auth (AIP-4111)")
    func selfSignedJWT() async throws {
        let keyFile = try TestCredentials.serviceAccount(in: try pki.scratch("sa"))
        let audience = "https://storage.googleapis.com/"
        for mode in [CredentialsOptions.SelfSignedJWT.audience(audience), .scopes] {
            let credentials = try GoogleCredentials.fromFile(keyFile, options: CredentialsOptions(selfSignedJWT: mode))
            let token = try await credentials.token()
            let claims = try await GoogleAuthPython.decode(jwt: token.value, keyFile: keyFile,
                                                     audience: mode == .scopes ? nil : audience)
            #expect(claims["iss"] as? String == "robot@test-project.iam.gserviceaccount.com")
            #expect(claims["sub"] as? String == "robot@test-project.iam.gserviceaccount.com")
            #expect((claims["aud"] as? String) == (mode == .scopes ? nil : audience))
            #expect((claims["scope"] as? String) == (mode == .scopes ? "https://www.googleapis.com/auth/cloud-platform" : nil))
            #expect((claims["exp"] as? Int ?? 0) - (claims["iat"] as? Int ?? 0) == 3600)
        }
    }

    @Test("Application Default Credentials fall back to the metadata server named by GCE_METADATA_HOST")
    func metadataServer() async throws {
        let peer = try await GoogleAuthPeer.start()
        defer { peer.stop() }
        let machine = try FakeMachine()
        let environment = AuthEnvironment(variables: ["GCE_METADATA_HOST": peer.metadataHost], homeDirectory: machine.home.path)
        let credentials = try await GoogleCredentials.applicationDefault(environment: environment)
        #expect(credentials.kind == .metadataServer(host: peer.metadataHost))
        #expect(credentials.projectID == "peer-project")
        #expect(try await credentials.token().value.hasPrefix("ya29.peer-"))
        #expect(try peer.tokenRequests().map(\.path) == ["/computeMetadata/v1/instance/service-accounts/default/token"])
    }

    @Test("Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, then gcloud's file")
    func applicationDefaultOrder() async throws {
        var machine = try FakeMachine()
        let gcloud = machine.home.appendingPathComponent(".config/gcloud")
        try FileManager.default.createDirectory(at: gcloud, withIntermediateDirectories: true)
        let userFile = try TestCredentials.authorizedUser(in: gcloud)
        try FileManager.default.moveItem(atPath: userFile, toPath: gcloud.appendingPathComponent("application_default_credentials.json").path)
        machine.variables["NO_GCE_CHECK"] = "true"
        let fromGcloud = try await GoogleCredentials.applicationDefault(environment: machine.environment)
        #expect(fromGcloud.kind == .authorizedUser(clientID: "client-1.apps.googleusercontent.com"))
        #expect(fromGcloud.source.contains("application_default_credentials.json"))

        machine.variables["GOOGLE_APPLICATION_CREDENTIALS"] = try TestCredentials.serviceAccount(in: machine.home)
        let fromVariable = try await GoogleCredentials.applicationDefault(environment: machine.environment)
        #expect(fromVariable.kind == .serviceAccount(email: "robot@test-project.iam.gserviceaccount.com"))
        #expect(fromVariable.source.hasPrefix("GOOGLE_APPLICATION_CREDENTIALS"))
        #expect(fromVariable.projectID == "test-project")

        machine.variables["GOOGLE_CLOUD_PROJECT"] = "env-project"
        machine.variables["GOOGLE_CLOUD_QUOTA_PROJECT"] = "env-quota"
        let overridden = try await GoogleCredentials.applicationDefault(environment: machine.environment)
        #expect(overridden.projectID == "env-project")
        #expect(overridden.quotaProjectID == "env-quota")

        machine.variables["GOOGLE_APPLICATION_CREDENTIALS"] = "/nonexistent/key.json"
        let error = await #expect(throws: GoogleAuthError.self) {
            try await GoogleCredentials.applicationDefault(environment: machine.environment)
        }
        #expect(error?.message.contains("/nonexistent/key.json") == true)
    }

    @Test("with no credentials anywhere ADC fails fast with what it tried, instead of hanging")
    func noCredentials() async throws {
        let machine = try FakeMachine()
        let closed = try freeLoopbackPort()
        let environment = AuthEnvironment(variables: ["GCE_METADATA_HOST": "127.0.0.1:\(closed)"], homeDirectory: machine.home.path)
        let start = ContinuousClock.now
        let error = await #expect(throws: GoogleAuthError.self) {
            try await GoogleCredentials.applicationDefault(environment: environment)
        }
        #expect(error?.code == .credentialsNotFound)
        #expect(error?.message.contains("GOOGLE_APPLICATION_CREDENTIALS") == true)
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}

/// Google's Python library, for cross-checks (installed by `make test`).
enum GoogleAuthPython {
    /// Claims of `jwt` after `google.auth.jwt.decode` verified it with the key file's public key.
    static func decode(jwt: String, keyFile: String, audience: String?) async throws -> [String: Any] {
        let script = """
        import json, sys, google.auth.jwt
        from cryptography.hazmat.primitives import serialization
        info = json.load(open(sys.argv[2]))
        key = serialization.load_pem_private_key(info["private_key"].encode(), None).public_key()
        pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        print(json.dumps(google.auth.jwt.decode(sys.argv[1], certs=pem, audience=(sys.argv[3] or None))))
        """
        let (_, text) = try await launch("/usr/bin/env", ["python3", "-c", script, jwt, keyFile, audience ?? ""],
                                         environment: ProcessInfo.processInfo.environment)
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }
}
