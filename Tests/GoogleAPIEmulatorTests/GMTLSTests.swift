import Foundation
import GoogleAPIEmulator
import MTLS
import TestSupport
import Testing

/// The `gmtls` executable against the emulator: doctor's findings and verdicts, and requests.
@Suite("gmtls")
struct GMTLSTests {
    /// The built `gmtls`, next to the test bundle.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("gmtls").path
    }

    /// Runs gmtls with the emulator's files in the environment; returns exit status and stdout.
    func gmtls(_ arguments: [String], emulator: GoogleAPIEmulator, extra: [String: String] = [:]) async throws -> (Int32, String) {
        try await launch(Self.executable, arguments, environment: emulator.files.environment.merging([
            "HOME": emulator.files.directory, "NO_GCE_CHECK": "true", "PATH": "/usr/bin:/bin"]) { $1 }.merging(extra) { $1 }
            // Sanitizer settings of a `make check-deep` run reach the child too.
            .merging(ProcessInfo.processInfo.environment.filter { $0.key.hasSuffix("SAN_OPTIONS") }) { $1 })
    }

    func start() async throws -> GoogleAPIEmulator {
        try await GoogleAPIEmulator.start(.init(directory: try TestPKI.shared.scratch("gmtls").path))
    }

    @Test("doctor --json reports credentials, certificate, endpoint, handshake and an OK verdict")
    func doctorJSON() async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let (status, text) = try await gmtls(["doctor", "--service", "pubsub", "--json", "--cacert", emulator.files.caCertificate,
                                        "--connect-to", emulator.connectToArgument], emulator: emulator)
        #expect(status == 0, "\(text)")
        let report = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        #expect(report["endpoint"] as? String == "https://pubsub.mtls.googleapis.com/")
        #expect(report["certificateSource"] as? String == "workload")
        #expect(report["certificateConfigPath"] as? String == emulator.files.certificateConfig)
        #expect((report["certificate"] as? [String: Any])?["subject"] as? String == "CN=emulator-device,O=swift-google-mtls")
        #expect((report["credentials"] as? [String: Any])?["token"] as? String == "obtained")
        let handshake = report["handshake"] as? [String: Any]
        #expect(handshake?["tlsVersion"] as? String == "TLS1.3")
        #expect(handshake?["alpn"] as? String == "h2")
        #expect(handshake?["clientCertificateRequested"] as? Bool == true)
        #expect((report["verdict"] as? String)?.hasPrefix("OK: mutual TLS works") == true)
    }

    @Test("an unchanged command line reaches the emulator through GMTLS_CONNECT_TO and SSL_CERT_FILE alone")
    func environmentOnly() async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let (status, text) = try await gmtls(["doctor", "--service", "pubsub"], emulator: emulator,
                                             extra: ["GMTLS_CONNECT_TO": emulator.connectToArgument,
                                                     "SSL_CERT_FILE": emulator.files.caCertificate])
        #expect(status == 0, "\(text)")
        #expect(text.contains("OK: mutual TLS works"))
    }

    @Test("doctor without the emulator's CA explains the untrusted server and how to fix it")
    func doctorUntrusted() async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let (status, text) = try await gmtls(["doctor", "--connect-to", emulator.connectToArgument], emulator: emulator)
        #expect(status == 1)
        #expect(text.contains("NOT OK"))
        #expect(text.contains("--cacert"), "\(text)")
    }

    @Test("doctor names an invalid environment variable and its value")
    func doctorInvalidEnvironment() async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let (status, text) = try await gmtls(["doctor", "--cacert", emulator.files.caCertificate, "--connect-to", emulator.connectToArgument],
                                       emulator: emulator, extra: ["GOOGLE_API_USE_MTLS_ENDPOINT": "sometimes"])
        #expect(status == 2)
        #expect(text.contains("Unsupported GOOGLE_API_USE_MTLS_ENDPOINT value 'sometimes'"), "\(text)")
    }

    @Test("request makes authenticated calls like curl: -X, -d @file, -i, -o, and --no-auth")
    func requests() async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let common = ["--cacert", emulator.files.caCertificate, "--connect-to", emulator.connectToArgument]
        let base = "https://secretmanager.mtls.googleapis.com/v1/projects/emulator-project/secrets"
        let body = URL(fileURLWithPath: emulator.files.directory).appendingPathComponent("secret.json")
        try Data(#"{"replication":{"automatic":{}}}"#.utf8).write(to: body)
        var (status, text) = try await gmtls(["request", "-X", "POST", "-d", "@" + body.path, "-H", "Content-Type: application/json"]
                                       + common + [base + "?secretId=s1"], emulator: emulator)
        #expect(status == 0, "\(text)")
        #expect(text.contains("projects/emulator-project/secrets/s1"))
        let saved = URL(fileURLWithPath: emulator.files.directory).appendingPathComponent("list.json").path
        (status, text) = try await gmtls(["request", "-i", "-o", saved] + common + [base], emulator: emulator)
        #expect(status == 0)
        #expect(try String(contentsOfFile: saved, encoding: .utf8).hasPrefix("HTTP/2 200"))
        (status, text) = try await gmtls(["request", "--no-auth"] + common + [base], emulator: emulator)
        #expect(status == 1)
        #expect(text.contains("UNAUTHENTICATED"))
        (status, text) = try await gmtls(["request", "--bogus"] + common + [base], emulator: emulator)
        #expect(status == 2)
        #expect(text.contains("unknown option --bogus"))
    }

    @Test("token prints an access token the emulator accepts; bench runs a bounded load and reports it")
    func tokenAndBench() async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let common = ["--cacert", emulator.files.caCertificate, "--connect-to", emulator.connectToArgument]
        let (tokenStatus, token) = try await gmtls(["token"] + common, emulator: emulator)
        #expect(tokenStatus == 0)
        #expect(token.hasPrefix("ya29.emulator-"))
        let (status, text) = try await gmtls(["bench", "-n", "40", "-c", "2", "-m", "4", "--json"] + common
                                       + ["https://pubsub.mtls.googleapis.com/v1/projects/emulator-project/topics"], emulator: emulator)
        #expect(status == 0, "\(text)")
        let result = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        #expect(result["requests"] as? Int == 40)
        #expect(result["failed"] as? Int == 0)
    }

    @Test("doctor --json --offline decides without the network and says so in one object")
    func doctorOffline() async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let (status, text) = try await gmtls(["doctor", "--json", "--offline", "--service", "secretmanager"], emulator: emulator)
        #expect(status == 0, "\(text)")
        let report = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        #expect(report["useClientCertificate"] as? Bool == true)
        #expect(report["certificateSource"] as? String == "workload")
        #expect(report["endpoint"] as? String == "https://secretmanager.mtls.googleapis.com/")
        #expect(report["universeDomain"] as? String == "googleapis.com")
        #expect((report["reasons"] as? [String])?.isEmpty == false)
        #expect(report["handshake"] == nil)
        #expect((report["credentials"] as? [String: Any])?["token"] as? String == "not requested (offline)")
    }

    @Test("doctor --json --offline with an invalid variable prints the error object and exits 2")
    func doctorOfflineInvalid() async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let (status, text) = try await gmtls(["doctor", "--json", "--offline"], emulator: emulator,
                                       extra: ["GOOGLE_API_USE_CLIENT_CERTIFICATE": "maybe"])
        #expect(status == 2)
        let report = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        #expect((report["error"] as? [String: Any])?["code"] as? String == "invalidEnvironment")
    }

    /// Each setup of a bad machine, and what the verdict must point at.
    @Test("doctor's verdicts name each failure and its fix", arguments: [
        ("noCertificate", "requires a client certificate and we did not send one"),
        ("expiredCertificate", "expired"),
        ("wrongKey", "does not belong to the certificate"),
        ("universeMismatch", "does not match the universe domain found in the credentials"),
    ])
    func doctorVerdicts(_ setup: String, _ expected: String) async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let files = emulator.files
        var extra: [String: String] = [:]
        var offline = false
        switch setup {
        case "noCertificate":
            extra = ["GOOGLE_API_CERTIFICATE_CONFIG": files.directory + "/absent.json", "GOOGLE_API_USE_MTLS_ENDPOINT": "always"]
        case "expiredCertificate", "wrongKey":
            let authority = try CertificateAuthority(certificatePEM: Array(try Data(contentsOf: URL(fileURLWithPath: files.caCertificate))),
                                                     keyPEM: Array(try Data(contentsOf: URL(fileURLWithPath: files.directory + "/ca.key"))),
                                                     source: files.caCertificate)
            let issued = try authority.makeClientCertificate(commonName: "old-device", notBefore: Date() - 7200,
                                                             notAfter: Date() - 3600)
            let cert = files.directory + "/bad.pem", key = files.directory + "/bad.key"
            try issued.write(certificateTo: setup == "expiredCertificate" ? cert : files.directory + "/unused.pem", keyTo: key)
            let config = files.directory + "/bad-config.json"
            let certPath = setup == "expiredCertificate" ? cert : files.clientCertificate
            try Data(#"{"cert_configs":{"workload":{"cert_path":"\#(certPath)","key_path":"\#(key)"}}}"#.utf8)
                .write(to: URL(fileURLWithPath: config))
            extra = ["GOOGLE_API_CERTIFICATE_CONFIG": config]
        default:
            extra = ["GOOGLE_CLOUD_UNIVERSE_DOMAIN": "example.com"]
            offline = true
        }
        let (status, text) = try await gmtls(["doctor", "--cacert", files.caCertificate, "--connect-to", emulator.connectToArgument]
                                       + (offline ? ["--offline"] : []), emulator: emulator, extra: extra)
        #expect(status == 1, "\(text)")
        #expect(text.contains("NOT OK"), "\(text)")
        #expect(text.contains(expected), "\(text)")
        #expect(text.contains("fix:"))
    }
}
