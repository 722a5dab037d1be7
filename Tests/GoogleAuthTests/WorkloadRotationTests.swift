import Foundation
@testable import GoogleAuth
import MTLS
import TestSupport
import Testing

/// Workload certificates are re-read when their files change, and a key/certificate mismatch
/// during a rotation is retried as AIP-4118 asks.
@Suite("Workload certificate rotation")
struct WorkloadRotationTests {
    let request = CertificateRequest(serverName: "storage.mtls.googleapis.com", acceptableIssuers: [])

    @Test("a rotated certificate and key are presented at the next handshake")
    func rotationPickedUp() async throws {
        let (machine, files) = try setUp()
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        #expect(try await source.identity().certificate == files.issued.certificate)
        let next = try TestPKI.shared.authority.makeClientCertificate(commonName: "rotated")
        try next.write(certificateTo: files.cert, keyTo: files.key)
        #expect(try source.identityForHandshake(request)?.certificate == next.certificate)
    }

    @Test("mid-rotation (new certificate, old key) handshakes keep the previous identity")
    func halfRotationKeepsPrevious() async throws {
        let (machine, files) = try setUp()
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        _ = try await source.identity()
        let next = try TestPKI.shared.authority.makeClientCertificate(commonName: "rotated")
        try Data(next.chainPEM.utf8).write(to: URL(fileURLWithPath: files.cert))
        #expect(try source.identityForHandshake(request)?.certificate == files.issued.certificate)
        try next.write(certificateTo: files.cert, keyTo: files.key)
        #expect(try source.identityForHandshake(request)?.certificate == next.certificate)
    }

    @Test("a mismatch is retried until the rotation completes (AIP-4118)")
    func mismatchRetriedUntilFixed() async throws {
        let (_, files) = try setUp()
        let next = try TestPKI.shared.authority.makeClientCertificate(commonName: "rotated")
        try Data(next.chainPEM.utf8).write(to: URL(fileURLWithPath: files.cert))
        let source = quickRetrying(files)
        async let identity = source.identity()
        try await Task.sleep(for: .milliseconds(150))
        try next.write(certificateTo: files.cert, keyTo: files.key)
        #expect(try await identity.certificate == next.certificate)
    }

    @Test("a lasting mismatch fails after the attempts with an error naming both files")
    func lastingMismatchFails() async throws {
        let (_, files) = try setUp()
        let other = try TestPKI.shared.authority.makeClientCertificate(commonName: "other")
        try Data(other.chainPEM.utf8).write(to: URL(fileURLWithPath: files.cert))
        let error = await #expect(throws: GoogleAuthError.self) { try await quickRetrying(files).identity() }
        #expect(error?.code == .keyMismatch)
        #expect(error?.message.contains(files.cert) == true)
        #expect(error?.message.contains(files.key) == true)
    }

    @Test("missing workload files are an error naming the file and the config")
    func missingFiles() async throws {
        let machine = try FakeMachine()
        let config = try machine.workloadConfig(cert: "/nonexistent/cert.pem", key: "/nonexistent/key.pem")
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        let error = await #expect(throws: GoogleAuthError.self) { try await source.identity() }
        #expect(error?.code == .clientCertificate)
        #expect(error?.message.contains("/nonexistent/cert.pem") == true)
        #expect(error?.message.contains(config) == true)
    }

    @Test("an encrypted workload key is an error that asks for the passphrase and names the file")
    func encryptedWorkloadKey() async throws {
        let machine = try FakeMachine()
        let issued = try TestPKI.shared.authority.makeClientCertificate(commonName: "locked")
        let cert = machine.home.appendingPathComponent("locked.pem").path
        let key = machine.home.appendingPathComponent("locked.key").path
        try issued.write(certificateTo: cert, keyTo: key, keyFormat: .encryptedPKCS8(passphrase: "pw-51d0"))
        try machine.workloadConfig(cert: cert, key: key)
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        let error = await #expect(throws: GoogleAuthError.self) { try await source.identity() }
        #expect(error?.code == .clientCertificate)
        #expect(error?.message.contains(key) == true)
        #expect(error?.message.contains("passphrase") == true)
        #expect(error?.message.contains("pw-51d0") == false)
    }

    private func setUp() throws -> (FakeMachine, (cert: String, key: String, issued: IssuedCertificate)) {
        let machine = try FakeMachine()
        let files = try machine.workloadFiles()
        try machine.workloadConfig(cert: files.cert, key: files.key)
        return (machine, files)
    }

    /// The workload source with 4 attempts 100 ms apart instead of 5 s.
    private func quickRetrying(_ files: (cert: String, key: String, issued: IssuedCertificate)) -> ClientCertificateSource {
        .workload(CertificateConfig.Workload(certificatePath: files.cert, keyPath: files.key), config: "test",
                  mismatchRetry: (4, .milliseconds(100)))
    }
}
