import Foundation
import GoogleAPICore
import GoogleAPIEmulator
import GoogleCloudkms
import GoogleCloudresourcemanager
import GoogleIamcredentials
import GoogleLogging
import Testing

/// The other four generated clients against the emulator's stand-ins: KMS encrypt/decrypt, IAM
/// Credentials tokens, Resource Manager project reads, Logging writes.
@Suite("Generated clients: KMS, IAM Credentials, Resource Manager, Logging")
struct StandInServicesTests {
    @Test("KMS round-trips a plaintext, and a ciphertext does not decrypt with another key")
    func kms() async throws {
        let (emulator, options) = try await GeneratedClientsTests.start()
        let kms = try await CloudkmsClient(options: options)
        defer { Task { await kms.shutdown(); await emulator.shutdown() } }
        let keys = kms.projects.locations.keyRings.cryptoKeys
        let key = "projects/emulator-project/locations/global/keyRings/r/cryptoKeys/k"
        let sealed = try await keys.encrypt(name: key, body: EncryptRequest(plaintext: GoogleBytes(Array("attack at dawn".utf8))))
        let opened = try await keys.decrypt(name: key, body: DecryptRequest(ciphertext: sealed.ciphertext))
        #expect(opened.plaintext?.bytes == Array("attack at dawn".utf8))
        let error = await #expect(throws: GoogleAPIError.self) {
            _ = try await keys.decrypt(name: key + "2", body: DecryptRequest(ciphertext: sealed.ciphertext))
        }
        #expect(error?.code == "INVALID_ARGUMENT")
    }

    @Test("IAM Credentials mints a token the other APIs accept; Resource Manager lists the project; Logging takes an entry")
    func tokensProjectsAndLogs() async throws {
        let (emulator, options) = try await GeneratedClientsTests.start()
        let iam = try await IamcredentialsClient(options: options)
        let manager = try await CloudresourcemanagerClient(options: options)
        let logging = try await LoggingClient(options: options)
        defer { Task { await iam.shutdown(); await manager.shutdown(); await logging.shutdown(); await emulator.shutdown() } }
        let minted = try await iam.projects.serviceAccounts.generateAccessToken(
            name: "projects/-/serviceAccounts/robot@emulator-project.iam.gserviceaccount.com",
            body: GenerateAccessTokenRequest(lifetime: "300s", scope: ["https://www.googleapis.com/auth/cloud-platform"]))
        let expiry = try #require(minted.expireTime?.date)
        #expect(expiry > Date() + 240 && expiry < Date() + 360)
        var projects: [String] = []
        for try await page in manager.projects.searchPages() { projects += (page.projects ?? []).compactMap(\.projectId) }
        #expect(projects == ["emulator-project"])
        _ = try await logging.entries.write(body: WriteLogEntriesRequest(entries: [
            LogEntry(logName: "projects/emulator-project/logs/test", resource: MonitoredResource(type: "global"), textPayload: "hi")]))
        await #expect(throws: GoogleAPIError.self) {
            _ = try await logging.entries.write(body: WriteLogEntriesRequest(entries: [LogEntry(textPayload: "no log name")]))
        }
    }
}
