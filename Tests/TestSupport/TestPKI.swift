import Foundation
import MTLS

/// Certificates for the tests, made once per test process in a temporary directory.
///
/// The server certificate names `storage.mtls.googleapis.com`, `*.mtls.googleapis.com`, `*.googleapis.com`, `localhost`
/// and 127.0.0.1, so tests dial loopback while verifying a real Google name.
public final class TestPKI: Sendable {
    public static let shared: TestPKI = try! TestPKI()

    public static let serverName = "storage.mtls.googleapis.com"

    public let directory: URL
    public let authority: CertificateAuthority
    public let otherAuthority: CertificateAuthority
    public let server: IssuedCertificate
    public let client: IssuedCertificate

    private init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mtls-tests-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        authority = try CertificateAuthority(commonName: "MTLS tests CA")
        otherAuthority = try CertificateAuthority(commonName: "Another CA")
        server = try authority.makeServerCertificate(dnsNames: [TestPKI.serverName, "*.mtls.googleapis.com",
                                                                "*.googleapis.com", "localhost"],
                                                     ipAddresses: ["127.0.0.1"])
        client = try authority.makeClientCertificate(commonName: "test-device")
        try write(authority.certificatePEM, to: "ca.pem")
        try write(otherAuthority.certificatePEM, to: "other-ca.pem")
        try server.write(certificateTo: path("server.pem"), keyTo: path("server.key"))
        try client.write(certificateTo: path("client.pem"), keyTo: path("client.key"))
    }

    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A fresh directory for one test's files.
    public func scratch(_ name: String) throws -> URL {
        let url = directory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    public func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }

    /// Trust in the test CA only.
    public var trustRoots: TrustRoots { .pemFile(path("ca.pem")) }

    /// A configuration trusting the test CA, presenting `identity`, with the given ALPN list.
    public func configuration(identity: ClientIdentity? = nil, alpn: [String] = ["h2"]) -> TLSConfiguration {
        TLSConfiguration(trustRoots: trustRoots, clientIdentity: identity, applicationProtocols: alpn)
    }
}
