import Foundation
import GoogleAPIEmulator
import TestSupport
import Testing

/// The emulator checked by clients nobody here wrote: Google's own Python libraries
/// (google-cloud-storage, google-cloud-pubsub and google-cloud-secret-manager over REST, installed
/// by `make test`) find the emulator's certificate by themselves, pick the mTLS endpoints, and
/// perform the same operations as our own tests, seeing the same results.
@Suite("Conformance with Google's Python client libraries")
struct GoogleClientsConformanceTests {
    @Test("Storage, Pub/Sub and Secret Manager work from Google's Python libraries over mTLS")
    func googleLibrariesAgainstEmulator() async throws {
        let emulator = try await GoogleAPIEmulator.start(.init(directory: try TestPKI.shared.scratch("conformance").path))
        defer { Task { await emulator.shutdown() } }
        let script = FaultServer.scriptPath.replacingOccurrences(of: "h2_fault_server.py", with: "google_clients_conformance.py")
        let (status, text) = try await launch("/usr/bin/env", ["python3", script, "--directory", emulator.files.directory,
                                                               "--port", String(emulator.port)],
                                              environment: ProcessInfo.processInfo.environment)
        // One pretty-printed JSON object on stdout (stderr, merged in, only carries warnings).
        let json = text.firstRange(of: "{\n").flatMap { start in text.lastIndex(of: "}").map { String(text[start.lowerBound...$0]) } } ?? "{}"
        let result = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
        #expect(status == 0, "\(text)")
        #expect((result["errors"] as? [String])?.isEmpty == true, "\(result["errors"] ?? text)")
        let storage = result["storage"] as? [String: Any] ?? [:]
        #expect(storage["mtls"] as? Bool == true)
        #expect(storage["resumable_size"] as? Int == 3 << 20)
        #expect(storage["resumable_md5_ok"] as? Bool == true)
        #expect(storage["range"] as? String == "hello")
        #expect(storage["listed"] as? [String] == ["conf/a.txt", "conf/b.txt"])
        let pubsub = result["pubsub"] as? [String: Any] ?? [:]
        #expect(pubsub["pulled"] as? [String] == ["m1", "m2", "m3"])
        #expect(pubsub["acked"] as? Int == 3)
        let secrets = result["secretmanager"] as? [String: Any] ?? [:]
        #expect(secrets["accessed"] as? String == "s3cr3t")
        #expect(secrets["versions"] as? Int == 2)
    }
}
