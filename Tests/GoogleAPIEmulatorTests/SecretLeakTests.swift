import Foundation
import GoogleAPICore
import GoogleAuth
import HTTP2
import MTLS
import TestSupport
import Testing

/// Recognisable fake secrets, unique to one test, searched for in every output, log line and error text.
struct FakeSecrets: Sendable {
    let tag = String(UInt64.random(in: 0 ... .max), radix: 36)
    var access: String { "ya29.FAKE-ACCESS-TOKEN-\(tag)" }
    /// Issued for the service account's JWT-bearer grant; the fake API refuses it with 401.
    var rejectedAccess: String { "ya29.FAKE-REJECTED-TOKEN-\(tag)" }
    var refresh: String { "1//FAKE-REFRESH-\(tag)" }
    /// A refresh token the fake token endpoint refuses, echoing it back.
    var revokedRefresh: String { "1//FAKE-REFRESH-REVOKED-\(tag)" }
    var clientSecret: String { "FAKE-CLIENT-SECRET-\(tag)" }
    var passphrase: String { "FAKE-PASSPHRASE-\(tag)" }
    var wrongPassphrase: String { "FAKE-PASSPHRASE-WRONG-\(tag)" }
    var pin: String { "FAKE-PIN-\(tag)" }
    /// The device key (SecureConnect) and the service account's key.
    let device: IssuedCertificate
    /// The device key encrypted under `passphrase` (made once: each encryption differs by its salt).
    let encryptedDeviceKey: String
    let serviceAccountKey: String

    init() throws {
        device = try TestPKI.shared.authority.makeClientCertificate(commonName: "leak-device")
        encryptedDeviceKey = try device.privateKeyPEM(.encryptedPKCS8(passphrase: "FAKE-PASSPHRASE-\(tag)"))
        serviceAccountKey = try TestPKI.shared.authority.makeClientCertificate(commonName: "robot", keyType: .rsa(bits: 2048))
            .privateKeyPEM()
    }

    /// Every secret by name: tokens, passphrases, the PIN, each base64 line of each private key (in
    /// every form used), any PEM private key armor, and a signed JWT (a JWT-bearer assertion).
    var all: [String: String] {
        var secrets = ["access token": access, "rejected access token": rejectedAccess, "refresh token": refresh,
                       "revoked refresh token": revokedRefresh, "client secret": clientSecret, "passphrase": passphrase,
                       "wrong passphrase": wrongPassphrase, "PKCS#11 PIN": pin, "private key armor": "PRIVATE KEY",
                       "JWT": "eyJ"]
        let keys = [("service account key", serviceAccountKey), ("device key", (try? device.privateKeyPEM()) ?? ""),
                    ("encrypted device key", encryptedDeviceKey)]
        for (name, pem) in keys {
            for (index, line) in pem.split(separator: "\n").enumerated() where !line.hasPrefix("-----") {
                secrets["\(name) line \(index)"] = String(line)
            }
        }
        return secrets
    }

    func all(except names: Set<String>) -> [String: String] { all.filter { !names.contains($0.key) } }
}

/// Which secret shows where, as "secret in place".
func leaks(in texts: [String: String], secrets: [String: String]) -> [String] {
    texts.sorted { $0.key < $1.key }.flatMap { place, text in
        secrets.sorted { $0.key < $1.key }.filter { text.contains($0.value) }.map { "\($0.key) in \(place)" }
    }
}

/// Fails listing every secret that shows in any of `texts`.
func assertNoSecret(in texts: [String: String], secrets: [String: String], sourceLocation: SourceLocation = #_sourceLocation) {
    let found = leaks(in: texts, secrets: secrets)
    #expect(found.isEmpty, "leaked: \(found.joined(separator: "; "))", sourceLocation: sourceLocation)
}

/// Everything an error says about itself.
func texts(of error: any Error, _ place: String) -> [String: String] {
    var texts = ["\(place) description": "\(error)", "\(place) reflection": String(reflecting: error)]
    if let error = error as? GoogleAuthError { texts["\(place) message"] = error.message }
    if let error = error as? TLSError { texts["\(place) message"] = error.message }
    if let error = error as? GoogleAPIError { texts["\(place) message"] = error.message }
    return texts
}

/// A careless fake Google on loopback (names as the test PKI's server certificate): `/token` grants
/// `access` for the right refresh token and client secret and `rejectedAccess` for a JWT-bearer grant;
/// any other token request is refused with OAuth's error (`/token`) or Google's envelope (`/refuse`),
/// both echoing every form field. Other paths are the API: 200 for `Bearer access`, else 401.
struct FakeGoogle {
    let server: HTTP2Server
    var connectTo: [ConnectTo] { [ConnectTo(host: nil, port: nil, targetHost: "127.0.0.1", targetPort: server.port)] }
    var connectToArgument: String { "::127.0.0.1:\(server.port)" }

    static func start(_ secrets: FakeSecrets) async throws -> FakeGoogle {
        let pki = TestPKI.shared
        let tls = TLSServerConfiguration(identity: try pki.server.identity(), clientTrustRoots: pki.trustRoots,
                                         clientCertificates: .request)
        return FakeGoogle(server: try await HTTP2Server.start(tls: tls) { request in
            func json(_ status: Int, _ object: [String: Any]) -> HTTPServerResponse {
                HTTPServerResponse(status: status, headers: ["content-type": "application/json"],
                                   body: Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data()))
            }
            guard request.path.hasSuffix("/token") || request.path.hasSuffix("/refuse") else {
                return request.headers.first(name: "authorization") == "Bearer \(secrets.access)" ? json(200, ["name": "ok"])
                    : json(401, ["error": ["code": 401, "status": "UNAUTHENTICATED",
                                           "message": "Request had invalid authentication credentials."]])
            }
            var form: [String: String] = [:]
            for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                form[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            if request.path.hasSuffix("/token") {
                if form["refresh_token"] == secrets.refresh && form["client_secret"] == secrets.clientSecret {
                    return json(200, ["access_token": secrets.access, "expires_in": 3600, "token_type": "Bearer"])
                }
                if form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" {
                    return json(200, ["access_token": secrets.rejectedAccess, "expires_in": 3600, "token_type": "Bearer"])
                }
            }
            let echo = form.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return request.path.hasSuffix("/token") ? json(400, ["error": "invalid_grant", "error_description": "Bad Request: \(echo)"])
                : json(403, ["error": ["code": 403, "status": "PERMISSION_DENIED", "message": "refused \(echo)"]])
        })
    }

    func shutdown() async { await server.shutdown() }
}

/// A machine set up with the fake secrets: an `authorized_user` and a `service_account` file, and
/// SecureConnect metadata whose provider prints the device certificate, its encrypted key and a passphrase.
struct LeakMachine {
    let secrets: FakeSecrets
    let directory: URL

    init(_ secrets: FakeSecrets) throws {
        self.secrets = secrets
        directory = try TestPKI.shared.scratch("leaks")
    }

    func write(_ text: String, _ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func authorizedUser(refresh: String? = nil) throws -> String {
        try TestCredentials.write(["type": "authorized_user", "client_id": "client-1.apps.googleusercontent.com",
                                   "client_secret": secrets.clientSecret, "refresh_token": refresh ?? secrets.refresh],
                                  to: directory.appendingPathComponent("user-\(UUID().uuidString).json"))
    }

    func serviceAccount(tokenURI: String = "https://oauth2.googleapis.com/token") throws -> String {
        try TestCredentials.write(["type": "service_account", "project_id": "leak-project", "private_key_id": "k1",
                                   "private_key": secrets.serviceAccountKey, "client_email": "robot@leak-project.iam.gserviceaccount.com",
                                   "client_id": "1", "token_uri": tokenURI],
                                  to: directory.appendingPathComponent("sa-\(UUID().uuidString).json"))
    }

    /// SecureConnect metadata under this directory as HOME; the provider prints the encrypted key and `passphrase`.
    func secureConnect(passphrase: String) throws {
        let output = try write(secrets.device.chainPEM + secrets.encryptedDeviceKey
                               + "-----BEGIN PASSPHRASE-----\n\(passphrase)\n-----END PASSPHRASE-----\n", "provider-output.txt")
        _ = try write(#"{"cert_provider_command": ["/bin/sh", "-c", "cat \#(output)", "--with_passphrase"]}"#,
                      ".secureConnect/context_aware_metadata.json")
    }

    /// The environment for `gmtls`: this directory as HOME, `credentials` as ADC, no certificate config.
    func environment(credentials: String) -> [String: String] {
        ["HOME": directory.path, "GOOGLE_APPLICATION_CREDENTIALS": credentials, "NO_GCE_CHECK": "true", "PATH": "/usr/bin:/bin",
         "GOOGLE_API_CERTIFICATE_CONFIG": directory.appendingPathComponent("absent.json").path]
            .merging(ProcessInfo.processInfo.environment.filter { $0.key.hasSuffix("SAN_OPTIONS") }) { $1 }
    }
}

/// A loopback port nothing listens on.
func unreachablePort() async throws -> Int {
    let server = try await HTTP2Server.start(tls: TLSServerConfiguration(identity: try TestPKI.shared.server.identity())) { _ in
        HTTPServerResponse(status: 200)
    }
    let port = server.port
    await server.shutdown()
    return port
}

/// Runs every `gmtls` command and library error path with fake secrets and fails if a token, private
/// key, passphrase, PIN, client secret or refresh token shows in output, logs or error descriptions.
@Suite("Secret leaks", .timeLimit(.minutes(3)))
struct SecretLeakTests {
    let api = "https://pubsub.mtls.googleapis.com/v1/projects/leak-project/topics"

    /// Runs gmtls with `arguments` + `common`; returns its status and its stdout and stderr, named by `arguments`.
    func gmtls(_ arguments: [String], _ common: [String] = [], _ environment: [String: String]) async throws -> (Int32, [String: String]) {
        let (status, stdout, stderr) = try await launchSeparately(GMTLSTests.executable, arguments + common, environment: environment)
        let name = "gmtls " + arguments.map { $0.count > 30 ? $0.prefix(20) + "…" : $0 }.joined(separator: " ")
        return (status, ["\(name) stdout": stdout, "\(name) stderr": stderr])
    }

    @Test("successful gmtls doctor, doctor --json, request -i, token and bench show no secret; token prints the token on stdout only")
    func gmtlsSuccessShowsOnlyTheRequestedToken() async throws {
        let secrets = try FakeSecrets()
        let google = try await FakeGoogle.start(secrets)
        defer { Task { await google.shutdown() } }
        let machine = try LeakMachine(secrets)
        try machine.secureConnect(passphrase: secrets.passphrase)
        let environment = machine.environment(credentials: try machine.authorizedUser())
        let common = ["--cacert", TestPKI.shared.path("ca.pem"), "--connect-to", google.connectToArgument]
        var outputs: [String: String] = [:]
        for arguments in [["doctor", "--service", "pubsub"], ["doctor", "--json", "--service", "pubsub"],
                          ["request", "-i", "--timeout", "10", api], ["bench", "-n", "4", "-c", "1", "-m", "2", "--json", api]] {
            let (status, texts) = try await gmtls(arguments, common, environment)
            #expect(status == 0, "\(arguments): \(texts)")
            outputs.merge(texts) { $1 }
        }
        #expect(outputs["gmtls doctor --json --service pubsub stdout"]?.contains("\"token\" : \"obtained\"") == true)
        assertNoSecret(in: outputs, secrets: secrets.all)

        let (status, texts) = try await gmtls(["token"], common, environment)
        #expect(status == 0)
        let stdout = ["gmtls token stdout": texts["gmtls token stdout"] ?? ""]
        #expect(leaks(in: stdout, secrets: ["access token": secrets.access]) == ["access token in gmtls token stdout"])
        assertNoSecret(in: stdout, secrets: secrets.all(except: ["access token"]))
        assertNoSecret(in: ["gmtls token stderr": texts["gmtls token stderr"] ?? ""], secrets: secrets.all)
    }

    /// Each broken setup; every command fails under it with status 1.
    enum Failure: String, CaseIterable {
        case wrongPassphrase, tokenRefusedEchoingSecrets, apiAnswers401, serverUnreachable
    }

    @Test("failing gmtls commands show no secret in stdout or stderr", arguments: Failure.allCases)
    func gmtlsFailureShowsNoSecret(_ failure: Failure) async throws {
        let secrets = try FakeSecrets()
        let google = try await FakeGoogle.start(secrets)
        defer { Task { await google.shutdown() } }
        let machine = try LeakMachine(secrets)
        try machine.secureConnect(passphrase: failure == .wrongPassphrase ? secrets.wrongPassphrase : secrets.passphrase)
        let credentials = switch failure {
        case .tokenRefusedEchoingSecrets: try machine.authorizedUser(refresh: secrets.revokedRefresh)
        case .apiAnswers401: try machine.serviceAccount()
        default: try machine.authorizedUser()
        }
        let target = failure == .serverUnreachable ? "::127.0.0.1:\(try await unreachablePort())" : google.connectToArgument
        let common = ["--cacert", TestPKI.shared.path("ca.pem"), "--connect-to", target]
        var outputs: [String: String] = [:]
        for arguments in [["doctor", "--service", "pubsub"], ["doctor", "--json", "--service", "pubsub"],
                          ["request", "-i", "--timeout", "10", api], ["token"], ["bench", "-n", "2", "--json", api]]
            where !(failure == .apiAnswers401 && arguments[0] == "token") {
            let (status, texts) = try await gmtls(arguments, common, machine.environment(credentials: credentials))
            // doctor's probe is unauthenticated, so a token the API would refuse leaves it satisfied.
            let expected: Int32 = failure == .apiAnswers401 && arguments[0] == "doctor" ? 0 : 1
            #expect(status == expected, "\(arguments): \(texts)")
            outputs.merge(texts) { $1 }
        }
        assertNoSecret(in: outputs, secrets: secrets.all)
    }

    @Test("gmtls usage errors do not echo a token given on the command line")
    func gmtlsUsageErrorsShowNoSecret() async throws {
        let secrets = try FakeSecrets()
        let machine = try LeakMachine(secrets)
        let environment = machine.environment(credentials: try machine.authorizedUser())
        var outputs: [String: String] = [:]
        for arguments in [["request", "-H", "Authorization Bearer \(secrets.access)", api],
                          ["request", "-H", "Authorization: Bearer \(secrets.access)"],
                          ["request", "--bogus", "-H", "Authorization: Bearer \(secrets.access)", api],
                          ["token", "--cert", machine.directory.path + "/absent.pem"]] {
            let (status, texts) = try await gmtls(arguments, [], environment)
            #expect(status == 2, "\(arguments): \(texts)")
            #expect(texts.values.contains { $0.hasPrefix("gmtls: ") }, "\(texts)")
            outputs.merge(texts) { $1 }
        }
        assertNoSecret(in: outputs, secrets: secrets.all)
    }

    @Test("an encrypted key with a wrong or missing passphrase fails with a TLSError naming neither passphrase nor key")
    func wrongPassphraseErrorShowsNoSecret() throws {
        let secrets = try FakeSecrets()
        let machine = try LeakMachine(secrets)
        let chain = try machine.write(secrets.device.chainPEM, "device.pem")
        let key = try machine.write(secrets.encryptedDeviceKey, "device.key")
        var collected: [String: String] = [:]
        for (passphrase, code) in [(secrets.wrongPassphrase, TLSError.Code.wrongPassphrase), (nil, .passphraseRequired)] {
            let fromFile = #expect(throws: TLSError.self) {
                try ClientIdentity.pemFiles(certificate: chain, privateKey: key, passphrase: passphrase)
            }
            let fromMemory = #expect(throws: TLSError.self) {
                try ClientIdentity.pem(certificateChain: Array(secrets.device.chainPEM.utf8),
                                       privateKey: Array(secrets.encryptedDeviceKey.utf8),
                                       passphrase: passphrase)
            }
            #expect(fromFile?.code == code && fromMemory?.code == code)
            for (place, error) in [("file", fromFile), ("memory", fromMemory)] {
                if let error { collected.merge(texts(of: error, "\(code) from \(place)")) { $1 } }
            }
        }
        assertNoSecret(in: collected, secrets: secrets.all)
    }

    @Test("malformed credentials files fail with GoogleAuthErrors that quote none of their secrets")
    func malformedCredentialsShowNoSecret() throws {
        let secrets = try FakeSecrets()
        let user = #"{"type": "authorized_user", "client_secret": "\#(secrets.clientSecret)", "refresh_token": "\#(secrets.refresh)""#
        let key = secrets.serviceAccountKey.replacingOccurrences(of: "\n", with: "\\n")
        let files = [
            "truncated authorized_user": user,
            "authorized_user without client_id": user + "}",
            "authorized_user with a numeric refresh token": #"{"type": "authorized_user", "client_id": "c", "client_secret": "\#(secrets.clientSecret)", "refresh_token": 7}"#,
            "service_account without client_email": #"{"type": "service_account", "private_key": "\#(key)"}"#,
            "service_account with a cut key": #"{"type": "service_account", "client_email": "r@p.iam.gserviceaccount.com", "private_key": "\#(key.prefix(key.count / 2))"}"#,
            "unknown type": #"{"type": "mystery", "refresh_token": "\#(secrets.refresh)", "private_key": "\#(key)"}"#,
        ]
        var collected: [String: String] = [:]
        for (name, json) in files {
            let error = #expect(throws: GoogleAuthError.self, "\(name)") {
                try GoogleCredentials.fromJSON(Array(json.utf8), source: name)
            }
            if let error { collected.merge(texts(of: error, name)) { $1 } }
        }
        assertNoSecret(in: collected, secrets: secrets.all)
    }

    @Test("token endpoints that refuse and echo the refresh token, client secret or assertion yield errors without them")
    func refusedTokenRequestsShowNoSecret() async throws {
        let secrets = try FakeSecrets()
        let google = try await FakeGoogle.start(secrets)
        defer { Task { await google.shutdown() } }
        let machine = try LeakMachine(secrets)
        let unreachable = [ConnectTo(host: nil, port: nil, targetHost: "127.0.0.1", targetPort: try await unreachablePort())]
        let cases: [(String, String, [ConnectTo], GoogleAuthError.Code)] = [
            ("revoked refresh token", try machine.authorizedUser(refresh: secrets.revokedRefresh), google.connectTo, .tokenRefused),
            ("refused service account", try machine.serviceAccount(tokenURI: "https://oauth2.googleapis.com/refuse"),
             google.connectTo, .tokenRefused),
            ("unreachable token endpoint", try machine.authorizedUser(), unreachable, .tokenEndpointUnavailable),
        ]
        var collected: [String: String] = [:]
        for (name, file, connectTo, code) in cases {
            let credentials = try GoogleCredentials.fromFile(file, options: CredentialsOptions(
                tls: TLSConfiguration(trustRoots: TestPKI.shared.trustRoots), connectTo: connectTo, requestTimeout: .seconds(10)))
            let error = await #expect(throws: GoogleAuthError.self, "\(name)") { try await credentials.token() }
            #expect(error?.code == code, "\(name): \(String(describing: error))")
            if let error { collected.merge(texts(of: error, name)) { $1 } }
            collected["\(name) credentials"] = "\(credentials)"
            await credentials.shutdown()
        }
        #expect(collected["revoked refresh token message"]?.contains("invalid_grant") == true)
        assertNoSecret(in: collected, secrets: secrets.all)
    }

    @Test("a 401 from the API and an unreachable API yield GoogleAPIError and HTTP errors without the token")
    func apiErrorsShowNoToken() async throws {
        let secrets = try FakeSecrets()
        let google = try await FakeGoogle.start(secrets)
        defer { Task { await google.shutdown() } }
        let machine = try LeakMachine(secrets)
        let tls = TLSConfiguration(trustRoots: TestPKI.shared.trustRoots)
        let credentials = try GoogleCredentials.fromFile(try machine.serviceAccount(), options: CredentialsOptions(
            tls: tls, connectTo: google.connectTo))
        defer { Task { await credentials.shutdown() } }
        let pubsub = ServiceDescription(name: "pubsub", version: "v1", rootURL: "https://pubsub.googleapis.com/",
                                        mtlsRootURL: "https://pubsub.mtls.googleapis.com/", servicePath: "",
                                        scopes: ["https://www.googleapis.com/auth/cloud-platform"])
        let options = ClientOptions(credentials: credentials, timeout: .seconds(20), retry: .none, tls: tls, connectTo: google.connectTo,
                                    environment: AuthEnvironment(variables: [:], homeDirectory: machine.directory.path))
        let client = try await ServiceClient(pubsub, options: options)
        let rejected = await #expect(throws: GoogleAPIError.self) {
            try await client.callWithoutResponse("GET", "v1/projects/leak-project/topics")
        }
        #expect(rejected?.status == 401)
        var collected = rejected.map { texts(of: $0, "401") } ?? [:]

        let http = try HTTPClient(configuration: .init(tls: tls, connectTo: [ConnectTo(host: nil, port: nil, targetHost: "127.0.0.1",
                                                                                       targetPort: try await unreachablePort())]))
        let unreachable = await #expect(throws: (any Error).self) {
            try await http.execute(HTTPRequest(url: api, headers: ["authorization": "Bearer \(secrets.access)"]), timeout: .seconds(10))
        }
        await http.shutdown()
        if let unreachable { collected.merge(texts(of: unreachable, "unreachable")) { $1 } }
        collected["token description"] = "\(try await credentials.token())"
        assertNoSecret(in: collected, secrets: secrets.all)
    }

    @Test("SecureConnect providers: a wrong passphrase, and a failing provider dumping its output on stderr, yield errors without secrets")
    func secureConnectErrorsShowNoSecret() async throws {
        let secrets = try FakeSecrets()
        let machine = try LeakMachine(secrets)
        try machine.secureConnect(passphrase: secrets.wrongPassphrase)
        let environment = AuthEnvironment(variables: [:], homeDirectory: machine.directory.path)
        let wrong = try #require(try ClientCertificateSource.discover(environment: environment).source)
        var collected = ["source description": "\(wrong)"]
        let wrongError = await #expect(throws: GoogleAuthError.self) { try await wrong.identity() }
        if let wrongError { collected.merge(texts(of: wrongError, "wrong passphrase")) { $1 } }

        let output = try machine.write(secrets.encryptedDeviceKey
                                       + "-----BEGIN PASSPHRASE-----\n\(secrets.passphrase)\n-----END PASSPHRASE-----\n"
                                       + secrets.device.chainPEM, "provider-dump.txt")
        _ = try machine.write(#"{"cert_provider_command": ["/bin/sh", "-c", "echo refused >&2; cat \#(output) >&2; exit 3", "--with_passphrase"]}"#,
                              ".secureConnect/context_aware_metadata.json")
        let failing = try #require(try ClientCertificateSource.discover(environment: environment).source)
        let failingError = await #expect(throws: GoogleAuthError.self) { try await failing.identity() }
        #expect(failingError.map { $0.message.contains("status 3: refused") && $0.message.contains("[PEM block removed]") } == true,
                "\(String(describing: failingError))")
        if let failingError { collected.merge(texts(of: failingError, "failing provider")) { $1 } }
        assertNoSecret(in: collected, secrets: secrets.all)
    }

    @Test("a pkcs11 certificate config with a wrong user_pin fails without showing the PIN",
          .enabled(if: FileManager.default.fileExists(atPath: SoftHSMToken.module)))
    func wrongPKCS11PINShowsNoSecret() async throws {
        let secrets = try FakeSecrets()
        let token = try SoftHSMToken.untouched
        let machine = try LeakMachine(secrets)
        let config = try machine.write(#"{"cert_configs": {"pkcs11": {"module": "\#(SoftHSMToken.module)", "slot": \#(try token.slotID), "#
                                       + #""label": "device", "user_pin": "\#(secrets.pin)"}}}"#, "certificate_config.json")
        let environment = AuthEnvironment(variables: ["GOOGLE_API_CERTIFICATE_CONFIG": config], homeDirectory: machine.directory.path)
        let source = try #require(try ClientCertificateSource.discover(environment: environment).source)
        let error = await #expect(throws: GoogleAuthError.self) { try await source.identity() }
        var collected = ["source description": "\(source)"]
        if let error { collected.merge(texts(of: error, "wrong PIN")) { $1 } }
        assertNoSecret(in: collected, secrets: secrets.all)
    }

    @Test("trace-level client logs of an authorized call, a 401 and an unreachable server never contain the token")
    func traceLogsShowNoToken() async throws {
        let secrets = try FakeSecrets()
        let google = try await FakeGoogle.start(secrets)
        defer { Task { await google.shutdown() } }
        let lines = Locked<[String]>([])
        var configuration = HTTPClient.Configuration(tls: TestPKI.shared.configuration(identity: try secrets.device.identity()),
                                                     connectTo: google.connectTo)
        configuration.logger = ClientLogger(level: .trace) { level, message, metadata in
            lines.withLock { $0.append("\(level) \(message) \(metadata)") }
        }
        let client = try HTTPClient(configuration: configuration)
        for (token, status) in [(secrets.access, 200), (secrets.rejectedAccess, 401)] {
            let response = try await client.execute(HTTPRequest(url: api, headers: ["authorization": "Bearer \(token)"]),
                                                    timeout: .seconds(10))
            #expect(response.status == status)
            _ = try await response.body.collect(upTo: 1 << 16)
        }
        await client.shutdown()
        configuration.connectTo = [ConnectTo(host: nil, port: nil, targetHost: "127.0.0.1", targetPort: try await unreachablePort())]
        let unreachable = try HTTPClient(configuration: configuration)
        _ = try? await unreachable.execute(HTTPRequest(url: api, headers: ["authorization": "Bearer \(secrets.access)"]),
                                           timeout: .seconds(10))
        await unreachable.shutdown()
        let log = lines.withLock { $0 }
        #expect(log.contains { $0.contains("stream opened") })
        assertNoSecret(in: ["trace log": log.joined(separator: "\n")], secrets: secrets.all)
    }
}
