import Foundation
import MTLS

/// Certificates for the tests, made once per test process in a temporary directory.
///
/// The server certificate names `storage.mtls.googleapis.com`, `*.mtls.googleapis.com`, `localhost`
/// and 127.0.0.1, so tests dial loopback while verifying a real Google name.
final class TestPKI: Sendable {
    static let shared: TestPKI = try! TestPKI()

    static let serverName = "storage.mtls.googleapis.com"

    let directory: URL
    let authority: CertificateAuthority
    let otherAuthority: CertificateAuthority
    let server: IssuedCertificate
    let client: IssuedCertificate

    private init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mtls-tests-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        authority = try CertificateAuthority(commonName: "MTLS tests CA")
        otherAuthority = try CertificateAuthority(commonName: "Another CA")
        server = try authority.makeServerCertificate(dnsNames: [TestPKI.serverName, "*.mtls.googleapis.com", "localhost"],
                                                     ipAddresses: ["127.0.0.1"])
        client = try authority.makeClientCertificate(commonName: "test-device")
        try write(authority.certificatePEM, to: "ca.pem")
        try write(otherAuthority.certificatePEM, to: "other-ca.pem")
        try server.write(certificateTo: path("server.pem"), keyTo: path("server.key"))
        try client.write(certificateTo: path("client.pem"), keyTo: path("client.key"))
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A fresh directory for one test's files.
    func scratch(_ name: String) throws -> URL {
        let url = directory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }

    /// Trust in the test CA only.
    var trustRoots: TrustRoots { .pemFile(path("ca.pem")) }

    /// A configuration trusting the test CA, presenting `identity`, with the given ALPN list.
    func configuration(identity: ClientIdentity? = nil, alpn: [String] = ["h2"]) -> TLSConfiguration {
        TLSConfiguration(trustRoots: trustRoots, clientIdentity: identity, applicationProtocols: alpn)
    }
}
