import Foundation
import MTLS
import TestSupport
import Testing

@Suite("The server's certificate is verified, host name included, and cannot be skipped")
struct ServerVerificationTests {
    let pki = TestPKI.shared

    /// Starts gnutls-serv with `server` as its certificate and connects to it as `TestPKI.serverName`.
    /// The error connecting to a gnutls-serv presenting `server` (followed by `extraChain`, e.g. a root).
    private func connectionError(serverCertificate server: IssuedCertificate, extraChain: [Certificate] = [],
                                 trust: TrustRoots? = nil) async throws -> TLSError? {
        let directory = try pki.scratch("server-cert")
        let certificate = directory.appendingPathComponent("server.pem").path
        let key = directory.appendingPathComponent("server.key").path
        try server.write(certificateTo: certificate, keyTo: key)
        if !extraChain.isEmpty {
            try Data((server.chainPEM + extraChain.map(\.pem).joined()).utf8).write(to: URL(fileURLWithPath: certificate))
        }
        let peer = try await GnuTLSServ.start(certificate: certificate, key: key)
        defer { peer.stop() }
        var configuration = pki.configuration(identity: try pki.client.identity())
        if let trust { configuration.trustRoots = trust }
        return await #expect(throws: TLSError.self) {
            _ = try await TLSConnection.connect(host: TestPKI.serverName, port: 443, configuration: configuration,
                                                connectTo: peer.connectTo)
        }
    }

    @Test("a server certificate for another name is refused with hostnameMismatch")
    func wrongNameIsRefused() async throws {
        let other = try pki.authority.makeServerCertificate(dnsNames: ["pubsub.mtls.example.com"])
        let error = try await connectionError(serverCertificate: other)
        #expect(error?.code == .hostnameMismatch)
        #expect(error?.message.contains(TestPKI.serverName) == true)
    }

    @Test("a wildcard does not match two labels")
    func wildcardDoesNotSpanLabels() async throws {
        let wildcard = try pki.authority.makeServerCertificate(dnsNames: ["*.googleapis.com"])
        let error = try await connectionError(serverCertificate: wildcard)
        #expect(error?.code == .hostnameMismatch)
    }

    @Test("a chain up to a root we do not trust is refused with untrustedServer")
    func unknownCAIsRefused() async throws {
        let foreign = try pki.otherAuthority.makeServerCertificate(dnsNames: [TestPKI.serverName])
        let error = try await connectionError(serverCertificate: foreign, extraChain: [pki.otherAuthority.certificate])
        #expect(error?.code == .untrustedServer)
    }

    @Test("our test server (leaf only) is refused with the system trust store: its issuer is neither sent nor trusted")
    func systemStoreRefusesTestCA() async throws {
        let error = try await connectionError(serverCertificate: pki.server, trust: .system)
        #expect(error?.code == .incompleteChain)
    }

    /// The rest of the bad-certificate matrix: each refusal has its own code.
    @Test("self-signed, missing intermediate, intermediate that is no CA, SHA-1 and RSA-1024 are each refused distinctly",
          arguments: ["selfSigned", "missingIntermediate", "intermediateNotCA", "sha1", "rsa1024"])
    func badCertificateMatrix(_ kind: String) async throws {
        let server: IssuedCertificate
        let expected: TLSError.Code
        switch kind {
        case "selfSigned":
            server = try CertificateAuthority.makeSelfSignedServerCertificate(dnsNames: [TestPKI.serverName])
            expected = .selfSignedServer
        case "missingIntermediate":
            let intermediate = try CertificateAuthority(intermediateOf: pki.authority, commonName: "Issuing CA")
            server = try intermediate.makeServerCertificate(dnsNames: [TestPKI.serverName]).withoutIntermediates
            expected = .incompleteChain
        case "intermediateNotCA":
            let fake = try CertificateAuthority(intermediateOf: pki.authority, commonName: "Not a CA", isCA: false)
            server = try fake.makeServerCertificate(dnsNames: [TestPKI.serverName])
            expected = .signerNotCA
        case "sha1":
            server = try pki.authority.makeServerCertificate(dnsNames: [TestPKI.serverName], sha1: true)
            expected = .insecureAlgorithm
        default:
            server = try pki.authority.makeServerCertificate(dnsNames: [TestPKI.serverName], keyType: .rsa(bits: 1024))
            expected = .weakKey
        }
        let error = try await connectionError(serverCertificate: server)
        #expect(error?.code == expected, "\(error?.message ?? "no error")")
    }

    @Test("an expired server certificate is refused with certificateExpired")
    func expiredIsRefused() async throws {
        let expired = try pki.authority.makeServerCertificate(dnsNames: [TestPKI.serverName],
                                                              notBefore: Date() - 86400 * 30, notAfter: Date() - 86400)
        let error = try await connectionError(serverCertificate: expired)
        #expect(error?.code == .certificateExpired)
    }

    @Test("a server certificate that is not valid yet is refused with certificateNotYetValid")
    func notYetValidIsRefused() async throws {
        let future = try pki.authority.makeServerCertificate(dnsNames: [TestPKI.serverName],
                                                             notBefore: Date() + 86400, notAfter: Date() + 86400 * 30)
        let error = try await connectionError(serverCertificate: future)
        #expect(error?.code == .certificateNotYetValid)
    }

    @Test("a chain through an intermediate CA verifies when the server sends the intermediate")
    func intermediateChainVerifies() async throws {
        let intermediate = try CertificateAuthority(intermediateOf: pki.authority, commonName: "Issuing CA")
        let server = try intermediate.makeServerCertificate(dnsNames: [TestPKI.serverName])
        #expect(server.intermediates == [intermediate.certificate])
        let directory = try pki.scratch("intermediate")
        let certificate = directory.appendingPathComponent("server.pem").path
        let key = directory.appendingPathComponent("server.key").path
        try server.write(certificateTo: certificate, keyTo: key)
        let peer = try await GnuTLSServ.start(certificate: certificate, key: key)
        defer { peer.stop() }
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: peer.connectTo)
        #expect(try #require(await connection.info).peerCertificates.count == 2)
    }

    @Test("dialling by IP address verifies the address against the certificate's IP SANs")
    func ipAddressIsVerified() async throws {
        let peer = try await GnuTLSServ.start()
        defer { peer.stop() }
        let connection = try await TLSConnection.connect(host: "127.0.0.1", port: peer.port,
                                                         configuration: pki.configuration(identity: try pki.client.identity()))
        #expect(try await connection.echo("ip\n") == "ip\n")
    }
}

@Suite("Trust roots from a directory, from memory, and combined")
struct TrustRootSourceTests {
    let pki = TestPKI.shared

    @Test("each source of roots verifies the test server", arguments: ["directory", "memory", "system+file"])
    func rootsVerify(_ source: String) async throws {
        let roots: TrustRoots
        switch source {
        case "directory":
            let directory = try pki.scratch("ca-dir")
            try Data(pki.authority.certificatePEM.utf8).write(to: directory.appendingPathComponent("test-ca.pem"))
            roots = .directory(directory.path)
        case "memory":
            roots = .certificates([pki.authority.certificate])
        default:
            roots = .system + .pemFile(pki.path("ca.pem"))
        }
        let peer = try await GnuTLSServ.start()
        defer { peer.stop() }
        var configuration = pki.configuration(identity: try pki.client.identity())
        configuration.trustRoots = roots
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443, configuration: configuration,
                                                         connectTo: peer.connectTo)
        #expect(try await connection.echo("roots\n") == "roots\n")
    }

    @Test("a CA file without certificates is an error naming it")
    func emptyCAFile() throws {
        let directory = try pki.scratch("bad-ca")
        let path = directory.appendingPathComponent("ca.pem").path
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: TLSError.self) {
            _ = try TLSContext(configuration: TLSConfiguration(trustRoots: .pemFile(path)))
        }
        #expect(error?.code == .malformedInput)
        #expect(error?.message.contains(path) == true)
    }
}

@Suite("Certificate purpose")
struct CertificatePurposeTests {
    @Test("a certificate without serverAuth is refused as the server's even when its name matches")
    func clientCertificateCannotActAsServer() async throws {
        let pki = TestPKI.shared
        // A client certificate (clientAuth only) whose common name is the server's name.
        let impostor = try pki.authority.makeClientCertificate(commonName: TestPKI.serverName)
        let directory = try pki.scratch("impostor")
        let certificate = directory.appendingPathComponent("server.pem").path
        let key = directory.appendingPathComponent("server.key").path
        try impostor.write(certificateTo: certificate, keyTo: key)
        let peer = try await GnuTLSServ.start(certificate: certificate, key: key)
        defer { peer.stop() }
        let error = await #expect(throws: TLSError.self) {
            _ = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                configuration: pki.configuration(identity: try pki.client.identity()),
                                                connectTo: peer.connectTo)
        }
        #expect(error?.code == .certificatePurposeMismatch)
    }

    @Test("a private key file is written with mode 0600")
    func keyFileMode() throws {
        let directory = try TestPKI.shared.scratch("mode")
        let key = directory.appendingPathComponent("key.pem").path
        try TestPKI.shared.client.write(certificateTo: directory.appendingPathComponent("cert.pem").path, keyTo: key)
        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }
}
