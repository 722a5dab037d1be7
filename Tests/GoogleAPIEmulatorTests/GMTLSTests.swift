import Foundation
import GoogleAPIEmulator
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
    func gmtls(_ arguments: [String], emulator: GoogleAPIEmulator, extra: [String: String] = [:]) throws -> (Int32, String) {
        try launch(Self.executable, arguments, environment: emulator.files.environment.merging([
            "HOME": emulator.files.directory, "NO_GCE_CHECK": "true", "PATH": "/usr/bin:/bin"]) { $1 }.merging(extra) { $1 })
    }

    func start() async throws -> GoogleAPIEmulator {
        try await GoogleAPIEmulator.start(.init(directory: try TestPKI.shared.scratch("gmtls").path))
    }

    @Test("doctor --json reports credentials, certificate, endpoint, handshake and an OK verdict")
    func doctorJSON() async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let (status, text) = try gmtls(["doctor", "--service", "pubsub", "--json", "--cacert", emulator.files.caCertificate,
                                        "--connect-to", emulator.connectToArgument], emulator: emulator)
        #expect(status == 0, "\(text)")
        let report = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        #expect((report["endpoint"] as? [String: Any])?["endpoint"] as? String == "https://pubsub.mtls.googleapis.com/")
        #expect((report["certificate"] as? [String: Any])?["subject"] as? String == "CN=emulator-device,O=swift-google-mtls")
        #expect((report["credentials"] as? [String: Any])?["token"] as? String == "obtained")
        let handshake = report["handshake"] as? [String: Any]
        #expect(handshake?["tlsVersion"] as? String == "TLS1.3")
        #expect(handshake?["alpn"] as? String == "h2")
        #expect(handshake?["clientCertificateRequested"] as? Bool == true)
        #expect((report["verdict"] as? String)?.hasPrefix("OK: mutual TLS works") == true)
    }

    @Test("doctor without the emulator's CA explains the untrusted server and how to fix it")
    func doctorUntrusted() async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let (status, text) = try gmtls(["doctor", "--connect-to", emulator.connectToArgument], emulator: emulator)
        #expect(status == 1)
        #expect(text.contains("NOT OK"))
        #expect(text.contains("--cacert"), "\(text)")
    }

    @Test("doctor names an invalid environment variable and its value")
    func doctorInvalidEnvironment() async throws {
        let emulator = try await start()
        defer { Task { await emulator.shutdown() } }
        let (status, text) = try gmtls(["doctor", "--cacert", emulator.files.caCertificate, "--connect-to", emulator.connectToArgument],
                                       emulator: emulator, extra: ["GOOGLE_API_USE_MTLS_ENDPOINT": "sometimes"])
        #expect(status == 1)
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
        var (status, text) = try gmtls(["request", "-X", "POST", "-d", "@" + body.path, "-H", "Content-Type: application/json"]
                                       + common + [base + "?secretId=s1"], emulator: emulator)
        #expect(status == 0, "\(text)")
        #expect(text.contains("projects/emulator-project/secrets/s1"))
        let saved = URL(fileURLWithPath: emulator.files.directory).appendingPathComponent("list.json").path
        (status, text) = try gmtls(["request", "-i", "-o", saved] + common + [base], emulator: emulator)
        #expect(status == 0)
        #expect(try String(contentsOfFile: saved, encoding: .utf8).hasPrefix("HTTP/2 200"))
        (status, text) = try gmtls(["request", "--no-auth"] + common + [base], emulator: emulator)
        #expect(status == 22)
        #expect(text.contains("UNAUTHENTICATED"))
    }
}
