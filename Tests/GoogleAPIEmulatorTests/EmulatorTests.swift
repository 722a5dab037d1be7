import Foundation
import GoogleAPIEmulator
import GoogleAuth
import HTTP2
import MTLS
import TestSupport
import Testing

/// The emulator end to end: an app pointed at its files with the environment variables alone
/// finds the certificate, the mTLS endpoint and the credentials, and calls APIs over mTLS + HTTP/2.
@Suite("Google API emulator")
struct EmulatorTests {
    /// An emulator, the environment an app would run with, and helpers to call it.
    struct Harness {
        let emulator: GoogleAPIEmulator
        let environment: AuthEnvironment
        let trust: TLSConfiguration

        static func start(faults: [EmulatorFaultRule] = [], metadataServer: Bool = false) async throws -> Harness {
            let directory = try TestPKI.shared.scratch("emulator").path
            let emulator = try await GoogleAPIEmulator.start(.init(directory: directory, faults: faults,
                                                                   metadataServer: metadataServer))
            let environment = AuthEnvironment(variables: emulator.files.environment, homeDirectory: directory)
            return Harness(emulator: emulator, environment: environment,
                           trust: TLSConfiguration(trustRoots: .pemFile(emulator.files.caCertificate)))
        }

        func resolve(_ service: String) throws -> ServiceResolution {
            try ServiceResolution.resolve(.named(service), environment: environment)
        }

        func credentials(_ resolution: ServiceResolution) async throws -> GoogleCredentials {
            try await GoogleCredentials.applicationDefault(
                options: CredentialsOptions(clientCertificate: resolution.certificate.source, tls: trust,
                                            connectTo: emulator.connectTo),
                environment: environment)
        }

        func client(presenting source: ClientCertificateSource?) throws -> HTTPClient {
            try HTTPClient(configuration: .init(tls: source?.tlsConfiguration(trust) ?? trust, connectTo: emulator.connectTo))
        }

        func shutdown() async { await emulator.shutdown() }
    }

    @Test("the environment alone leads an app to the mTLS endpoint, a token and a working API call")
    func appRunsUnchanged() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.shutdown() } }
        let resolution = try harness.resolve("secretmanager")
        #expect(resolution.endpoint.endpoint == "https://secretmanager.mtls.googleapis.com/")
        guard case .workload = resolution.certificate.source?.kind else {
            Issue.record("expected the emulator's workload certificate, got \(resolution.reasons)")
            return
        }
        let credentials = try await harness.credentials(resolution)
        defer { Task { await credentials.shutdown() } }
        #expect(credentials.kind == .serviceAccount(email: EmulatorFiles.serviceAccountEmail))
        let token = try await credentials.token()
        let client = try harness.client(presenting: resolution.certificate.source)
        defer { Task { await client.shutdown() } }
        let base = resolution.endpoint.endpoint + "v1/projects/emulator-project/secrets"
        let auth: HTTPHeaders = ["authorization": token.authorizationHeader, "content-type": "application/json"]
        let created = try await client.execute(HTTPRequest(method: "POST", url: base + "?secretId=db-password", headers: auth,
                                                           body: .bytes(Array(#"{"replication":{"automatic":{}}}"#.utf8))))
        #expect(created.status == 200)
        let payload = Data("hunter2".utf8).base64EncodedString()
        let added = try await client.execute(HTTPRequest(method: "POST", url: base + "/db-password:addVersion", headers: auth,
                                                         body: .bytes(Array(#"{"payload":{"data":"\#(payload)"}}"#.utf8))))
        #expect(added.status == 200)
        let accessed = try await client.execute(HTTPRequest(url: base + "/db-password/versions/latest:access", headers: auth))
        let json = try JSONSerialization.jsonObject(with: Data(try await accessed.body.collect(upTo: 1 << 16))) as? [String: Any]
        #expect((json?["payload"] as? [String: Any])?["data"] as? String == payload)
    }

    @Test("an mTLS host refuses a client without a certificate with Google's 403 envelope; the regular host does not")
    func mtlsHostNeedsCertificate() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.shutdown() } }
        let resolution = try harness.resolve("storage")
        let credentials = try await harness.credentials(resolution)
        defer { Task { await credentials.shutdown() } }
        let token = try await credentials.token()
        let anonymous = try harness.client(presenting: nil)
        defer { Task { await anonymous.shutdown() } }
        let headers: HTTPHeaders = ["authorization": token.authorizationHeader]
        let refused = try await anonymous.execute(HTTPRequest(url: "https://storage.mtls.googleapis.com/storage/v1/b?project=p",
                                                              headers: headers))
        #expect(refused.status == 403)
        let envelope = try JSONSerialization.jsonObject(with: Data(try await refused.body.collect(upTo: 1 << 16))) as? [String: Any]
        #expect((envelope?["error"] as? [String: Any])?["status"] as? String == "PERMISSION_DENIED")
        let regular = try await anonymous.execute(HTTPRequest(url: "https://storage.googleapis.com/storage/v1/b?project=p",
                                                              headers: headers))
        #expect(regular.status == 200)
    }

    @Test("calls without a valid token get 401 UNAUTHENTICATED")
    func tokenRequired() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.shutdown() } }
        let client = try harness.client(presenting: nil)
        defer { Task { await client.shutdown() } }
        for headers: HTTPHeaders in [[:], ["authorization": "Bearer ya29.forged"]] {
            let response = try await client.execute(HTTPRequest(url: "https://pubsub.googleapis.com/v1/projects/p/topics",
                                                                headers: headers))
            #expect(response.status == 401)
        }
    }

    @Test("a self-signed JWT is accepted only by the service it names (or with a scope), as Google checks it")
    func selfSignedJWTAudience() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.shutdown() } }
        let client = try harness.client(presenting: nil)
        defer { Task { await client.shutdown() } }
        for (mode, pubsubStatus) in [(CredentialsOptions.SelfSignedJWT.audience("https://pubsub.googleapis.com/"), 200),
                                     (.audience("https://storage.googleapis.com/"), 401), (.scopes, 200)] {
            let credentials = try GoogleCredentials.fromFile(harness.emulator.files.serviceAccount,
                                                             options: CredentialsOptions(selfSignedJWT: mode))
            let token = try await credentials.token()
            let response = try await client.execute(HTTPRequest(url: "https://pubsub.googleapis.com/v1/projects/p/topics",
                                                                headers: ["authorization": token.authorizationHeader]))
            #expect(response.status == pubsubStatus, "\(mode)")
        }
    }

    @Test("faults on request: 503 with RetryInfo, GOAWAY after the answer, a dropped connection")
    func faultInjection() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.shutdown() } }
        let client = try harness.client(presenting: nil)
        defer { Task { await client.shutdown() } }
        let url = "https://pubsub.googleapis.com/v1/projects/p/topics"
        let unavailable = try await client.execute(HTTPRequest(url: url, headers: ["x-emulator-fault": "status=503, retry-delay=2s"]))
        #expect(unavailable.status == 503)
        let body = String(decoding: try await unavailable.body.collect(upTo: 1 << 16), as: UTF8.self)
        #expect(body.contains("google.rpc.RetryInfo") && body.contains("\"2.0s\""))
        let goAway = try await client.execute(HTTPRequest(url: url, headers: ["x-emulator-fault": "goaway"]))
        #expect(goAway.status == 401)
        let after = try await client.execute(HTTPRequest(url: url))
        #expect(after.status == 401)
        await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPRequest(url: url, headers: ["x-emulator-fault": "drop"]))
        }
    }

    @Test("a rule refuses every second request and the client's transparent retry hides it")
    func faultRuleRetried() async throws {
        let harness = try await Harness.start(faults: [EmulatorFaultRule(pathPrefix: "/v1/", every: 2, fault: .refuse)])
        defer { Task { await harness.shutdown() } }
        let client = try harness.client(presenting: nil)
        defer { Task { await client.shutdown() } }
        for _ in 0..<6 {
            let response = try await client.execute(HTTPRequest(url: "https://pubsub.googleapis.com/v1/projects/p/topics"))
            #expect(response.status == 401)
            #expect(response.metrics.attempts <= 2)
        }
    }

    @Test("X.509 workload identity federation: STS over mTLS checks the presented certificate and issues a usable token")
    func stsExchange() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.shutdown() } }
        let file = URL(fileURLWithPath: harness.emulator.files.directory).appendingPathComponent("wif.json")
        try Data(#"""
        {"type": "external_account", "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/x",
         "subject_token_type": "urn:ietf:params:oauth:token-type:mtls", "token_url": "https://sts.mtls.googleapis.com/v1/token",
         "credential_source": {"certificate": {"use_default_certificate_config": true}}}
        """#.utf8).write(to: file)
        let credentials = try GoogleCredentials.fromFile(file.path, options: CredentialsOptions(tls: harness.trust,
                                                         connectTo: harness.emulator.connectTo), environment: harness.environment)
        defer { Task { await credentials.shutdown() } }
        let token = try await credentials.token()
        let client = try harness.client(presenting: nil)
        defer { Task { await client.shutdown() } }
        let response = try await client.execute(HTTPRequest(url: "https://pubsub.googleapis.com/v1/projects/p/topics",
                                                            headers: ["authorization": token.authorizationHeader]))
        #expect(response.status == 200)
    }

    @Test("in metadata-server mode, ADC finds the metadata server and its token works against the APIs")
    func metadataServerMode() async throws {
        let harness = try await Harness.start(metadataServer: true)
        defer { Task { await harness.shutdown() } }
        let host = try #require(harness.emulator.metadataHost)
        let environment = AuthEnvironment(variables: ["GCE_METADATA_HOST": host], homeDirectory: harness.emulator.files.directory)
        let credentials = try await GoogleCredentials.applicationDefault(environment: environment)
        #expect(credentials.kind == .metadataServer(host: host))
        #expect(credentials.projectID == "emulator-project")
        let token = try await credentials.token()
        let client = try harness.client(presenting: nil)
        defer { Task { await client.shutdown() } }
        let response = try await client.execute(HTTPRequest(url: "https://pubsub.googleapis.com/v1/projects/p/topics",
                                                            headers: ["authorization": token.authorizationHeader]))
        #expect(response.status == 200)
    }

    @Test("a second emulator on the same directory reuses the CA, so trust set up once keeps working")
    func reusesAuthority() async throws {
        let first = try await Harness.start()
        let caPEM = try String(contentsOfFile: first.emulator.files.caCertificate, encoding: .utf8)
        await first.shutdown()
        let second = try await GoogleAPIEmulator.start(.init(directory: first.emulator.files.directory))
        defer { Task { await second.shutdown() } }
        #expect(try String(contentsOfFile: second.files.caCertificate, encoding: .utf8) == caPEM)
        let client = try HTTPClient(configuration: .init(tls: first.trust, connectTo: second.connectTo))
        defer { Task { await client.shutdown() } }
        #expect(try await client.execute(HTTPRequest(url: "https://storage.googleapis.com/storage/v1/b")).status == 401)
    }
}
