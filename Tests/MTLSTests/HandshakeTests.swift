import Foundation
import MTLS
import TestSupport
import Testing

@Suite("Mutual-TLS handshakes against gnutls-serv and nginx")
struct HandshakeTests {
    let pki = TestPKI.shared

    @Test("a client certificate of each key type completes an mTLS handshake",
          arguments: [KeyType.ecdsaP256, .ecdsaP384, .rsa(bits: 2048), .ed25519])
    func handshakeWithEachKeyType(_ keyType: KeyType) async throws {
        let server = try await GnuTLSServ.start()
        defer { server.stop() }
        let identity = try pki.authority.makeClientCertificate(commonName: "device-\(keyType)", keyType: keyType).identity()
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(identity: identity),
                                                         connectTo: server.connectTo)
        let info = try #require(await connection.info)
        #expect(info.applicationProtocol == "h2")
        #expect(info.clientCertificateRequested)
        #expect(info.clientCertificate == identity.certificate)
        #expect(info.peerCertificates.first == pki.server.certificate)
        #expect(try await connection.echo("hello\n") == "hello\n")
        await connection.close()
    }

    @Test("nginx sees our certificate as verified and the SNI as the real host name")
    func nginxVerifiesOurCertificateAndSeesSNI() async throws {
        let server = try await Nginx.start()
        defer { server.stop() }
        let connection = try await TLSConnection.connect(
            host: TestPKI.serverName, port: 443,
            configuration: pki.configuration(identity: try pki.client.identity(), alpn: ["http/1.1"]),
            connectTo: server.connectTo)
        let response = try await connection.getOverHTTP1()
        #expect(response.hasPrefix("HTTP/1.1 200"))
        #expect(response.contains("verify=SUCCESS subject=CN=test-device"))
        #expect(response.contains("sni=\(TestPKI.serverName)"))
    }

    @Test("nginx negotiates h2 by ALPN")
    func nginxNegotiatesH2() async throws {
        let server = try await Nginx.start()
        defer { server.stop() }
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: server.connectTo)
        let info = try #require(await connection.info)
        #expect(info.applicationProtocol == "h2")
        #expect(info.protocolVersion == "TLS1.3")
        await connection.close()
    }

    @Test("a server that offers no h2 is refused with noApplicationProtocol")
    func serverWithoutH2IsRefused() async throws {
        let server = try await Nginx.start(http2: false)
        defer { server.stop() }
        let error = await #expect(throws: TLSError.self) {
            _ = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                configuration: pki.configuration(identity: try pki.client.identity()),
                                                connectTo: server.connectTo)
        }
        #expect(error?.code == .noApplicationProtocol)
        #expect(error?.message.contains("h2") == true)
    }

    @Test("nginx answers 400 when we send no client certificate")
    func nginxRejectsMissingCertificate() async throws {
        let server = try await Nginx.start()
        defer { server.stop() }
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(alpn: ["http/1.1"]),
                                                         connectTo: server.connectTo)
        let info = try #require(await connection.info)
        #expect(info.clientCertificateRequested)
        #expect(info.clientCertificate == nil)
        #expect(try await connection.getOverHTTP1().hasPrefix("HTTP/1.1 400"))
    }

    @Test("nginx refuses a certificate from another CA and an expired one",
          arguments: ["another CA", "expired"])
    func nginxRejectsBadClientCertificates(_ kind: String) async throws {
        let server = try await Nginx.start()
        defer { server.stop() }
        let identity = try badClientIdentity(kind)
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(identity: identity, alpn: ["http/1.1"]),
                                                         connectTo: server.connectTo)
        let response = try await connection.getOverHTTP1()
        #expect(response.hasPrefix("HTTP/1.1 400"))
    }

    @Test("gnutls-serv's alert for a missing, foreign or expired certificate surfaces as clientCertificateRejected",
          arguments: ["none", "another CA", "expired"])
    func gnutlsServRejectsBadClientCertificates(_ kind: String) async throws {
        let server = try await GnuTLSServ.start()
        defer { server.stop() }
        let identity = kind == "none" ? nil : try badClientIdentity(kind)
        let error = await #expect(throws: TLSError.self) {
            // TLS 1.3: the client finishes first; the server's alert arrives with the first read.
            let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                             configuration: pki.configuration(identity: identity),
                                                             connectTo: server.connectTo)
            _ = try await connection.echo("x")
        }
        #expect(error?.code == .clientCertificateRejected)
        let expected = identity == nil ? "sent no client certificate" : "rejected our client certificate"
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    private func badClientIdentity(_ kind: String) throws -> ClientIdentity {
        switch kind {
        case "expired":
            return try pki.authority.makeClientCertificate(commonName: "expired-device", notBefore: Date() - 86400 * 10,
                                                           notAfter: Date() - 86400).identity()
        default:
            return try pki.otherAuthority.makeClientCertificate(commonName: "foreign-device").identity()
        }
    }

    @Test("getClientIdentity is asked at each handshake, so a rotated certificate is used at once")
    func identityCallbackRotatesCertificates() async throws {
        let server = try await Nginx.start()
        defer { server.stop() }
        let first = try pki.authority.makeClientCertificate(commonName: "generation-1").identity()
        let second = try pki.authority.makeClientCertificate(commonName: "generation-2").identity()
        let calls = Locked(0)
        var configuration = pki.configuration(alpn: ["http/1.1"])
        configuration.sessionResumption = false
        configuration.getClientIdentity = { request in
            #expect(request.serverName == TestPKI.serverName)
            #expect(request.acceptableIssuers.contains { $0.contains("MTLS tests CA") })
            return calls.withLock { count in
                count += 1
                return count == 1 ? first : second
            }
        }
        let context = try TLSContext(configuration: configuration)
        for generation in 1...2 {
            let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443, context: context,
                                                             connectTo: server.connectTo)
            #expect(try await connection.getOverHTTP1().contains("subject=CN=generation-\(generation)"))
        }
        #expect(calls.withLock { $0 } == 2)
    }

    @Test("an error thrown by getClientIdentity fails the handshake with that error")
    func identityCallbackErrorFailsHandshake() async throws {
        let server = try await GnuTLSServ.start()
        defer { server.stop() }
        var configuration = pki.configuration()
        configuration.getClientIdentity = { _ in throw TLSError(.pkcs11, "token unplugged") }
        let error = await #expect(throws: TLSError.self) {
            _ = try await TLSConnection.connect(host: TestPKI.serverName, port: 443, configuration: configuration,
                                                connectTo: server.connectTo)
        }
        #expect(error?.message == "token unplugged")
    }

    @Test("a second connection with the same context resumes the TLS session")
    func sessionResumption() async throws {
        let server = try await Nginx.start()
        defer { server.stop() }
        let context = try TLSContext(configuration: pki.configuration(identity: try pki.client.identity(), alpn: ["http/1.1"]))
        var resumed: [Bool] = []
        for _ in 1...2 {
            let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443, context: context,
                                                             connectTo: server.connectTo)
            resumed.append(try #require(await connection.info).resumed)
            #expect(try await connection.getOverHTTP1().contains("verify=SUCCESS"))
        }
        #expect(resumed == [false, true])
    }

    @Test("with TLS 1.3 as the minimum, a TLS 1.2-only server is refused")
    func minimumVersionIsEnforced() async throws {
        let server = try await GnuTLSServ.start(extra: ["--priority", "NORMAL:-VERS-TLS1.3"])
        defer { server.stop() }
        var configuration = pki.configuration(identity: try pki.client.identity())
        configuration.minimumVersion = .tls13
        let error = await #expect(throws: TLSError.self) {
            _ = try await TLSConnection.connect(host: TestPKI.serverName, port: 443, configuration: configuration,
                                                connectTo: server.connectTo)
        }
        #expect(error?.code == .handshakeFailed)
    }

    @Test("TLS 1.2 still works by default")
    func tls12Works() async throws {
        let server = try await GnuTLSServ.start(extra: ["--priority", "NORMAL:-VERS-TLS1.3"])
        defer { server.stop() }
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: server.connectTo)
        #expect(try #require(await connection.info).protocolVersion == "TLS1.2")
        #expect(try await connection.echo("tls12\n") == "tls12\n")
    }
}
