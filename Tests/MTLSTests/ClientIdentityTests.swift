import Foundation
import MTLS
import TestSupport
import Testing

@Suite("Loading client identities: PEM forms, encrypted keys, PKCS#12, and clear errors")
struct ClientIdentityTests {
    let pki = TestPKI.shared

    private func files(_ issued: IssuedCertificate, keyFormat: PrivateKeyFormat, name: String = "id") throws -> (String, String) {
        let directory = try pki.scratch(name)
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try issued.write(certificateTo: certificate, keyTo: key, keyFormat: keyFormat)
        return (certificate, key)
    }

    @Test("PKCS#1, SEC1 and PKCS#8 keys load from files", arguments: [
        (KeyType.rsa(bits: 2048), PrivateKeyFormat.traditional, "BEGIN RSA PRIVATE KEY"),
        (.ecdsaP256, .traditional, "BEGIN EC PRIVATE KEY"),
        (.ecdsaP256, .pkcs8, "BEGIN PRIVATE KEY"),
        (.ed25519, .pkcs8, "BEGIN PRIVATE KEY"),
    ])
    func keyFormatsLoad(_ type: KeyType, _ format: PrivateKeyFormat, _ armour: String) throws {
        let issued = try pki.authority.makeClientCertificate(commonName: "format", keyType: type)
        #expect(try issued.privateKeyPEM(format).contains(armour))
        let (certificate, key) = try files(issued, keyFormat: format)
        let identity = try ClientIdentity.pemFiles(certificate: certificate, privateKey: key)
        #expect(identity.certificate == issued.certificate)
        #expect(identity.keyLocation == .file(key))
    }

    @Test("an encrypted PKCS#8 key loads with its passphrase and completes a handshake")
    func encryptedKeyWithPassphrase() async throws {
        let issued = try pki.authority.makeClientCertificate(commonName: "encrypted")
        let (certificate, key) = try files(issued, keyFormat: .encryptedPKCS8(passphrase: "correct horse"))
        let identity = try ClientIdentity.pemFiles(certificate: certificate, privateKey: key, passphrase: "correct horse")
        let peer = try await GnuTLSServ.start()
        defer { peer.stop() }
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(identity: identity),
                                                         connectTo: peer.connectTo)
        #expect(try await connection.echo("enc\n") == "enc\n")
    }

    @Test("an encrypted key without a passphrase is passphraseRequired, naming the file")
    func encryptedKeyWithoutPassphrase() throws {
        let issued = try pki.authority.makeClientCertificate(commonName: "encrypted")
        let (certificate, key) = try files(issued, keyFormat: .encryptedPKCS8(passphrase: "s3cret-pass"))
        let error = #expect(throws: TLSError.self) { try ClientIdentity.pemFiles(certificate: certificate, privateKey: key) }
        #expect(error?.code == .passphraseRequired)
        #expect(error?.message.contains(key) == true)
    }

    @Test("a wrong passphrase is wrongPassphrase, and the message never shows it")
    func wrongPassphrase() throws {
        let issued = try pki.authority.makeClientCertificate(commonName: "encrypted")
        let (certificate, key) = try files(issued, keyFormat: .encryptedPKCS8(passphrase: "s3cret-pass"))
        let error = #expect(throws: TLSError.self) {
            try ClientIdentity.pemFiles(certificate: certificate, privateKey: key, passphrase: "wrong-guess-42")
        }
        #expect(error?.code == .wrongPassphrase)
        #expect(error?.message.contains(key) == true)
        #expect(error.map { "\($0)" }?.contains("wrong-guess-42") == false)
        #expect(error.map { "\($0)" }?.contains("s3cret-pass") == false)
    }

    @Test("a key that does not belong to the certificate is keyMismatch, naming both files")
    func mismatchedKey() throws {
        let (certificate, _) = try files(pki.authority.makeClientCertificate(commonName: "one"), keyFormat: .pkcs8, name: "one")
        let (_, otherKey) = try files(pki.authority.makeClientCertificate(commonName: "two"), keyFormat: .pkcs8, name: "two")
        let error = #expect(throws: TLSError.self) { try ClientIdentity.pemFiles(certificate: certificate, privateKey: otherKey) }
        #expect(error?.code == .keyMismatch)
        #expect(error?.message.contains(otherKey) == true)
        #expect(error?.message.contains(certificate) == true)
    }

    @Test("a file that is not PEM is malformedInput naming the file")
    func malformedPEM() throws {
        let directory = try pki.scratch("malformed")
        let garbage = directory.appendingPathComponent("garbage.pem").path
        try Data("this is not a certificate\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let certError = #expect(throws: TLSError.self) {
            try ClientIdentity.pemFiles(certificate: garbage, privateKey: pki.path("client.key"))
        }
        #expect(certError?.code == .malformedInput)
        #expect(certError?.message.contains(garbage) == true)
        let keyError = #expect(throws: TLSError.self) {
            try ClientIdentity.pemFiles(certificate: pki.path("client.pem"), privateKey: garbage)
        }
        #expect(keyError?.code == .malformedInput)
        #expect(keyError?.message.contains(garbage) == true)
    }

    @Test("a missing file is unreadableFile naming the path")
    func missingFile() throws {
        let error = #expect(throws: TLSError.self) {
            try ClientIdentity.pemFiles(certificate: "/nonexistent/cert.pem", privateKey: pki.path("client.key"))
        }
        #expect(error?.code == .unreadableFile)
        #expect(error?.message.contains("/nonexistent/cert.pem") == true)
    }

    @Test("PKCS#12 files load with their password, and refuse a wrong or missing one")
    func pkcs12() async throws {
        let directory = try pki.scratch("p12")
        let bundle = directory.appendingPathComponent("client.p12").path
        let issued = try pki.authority.makeClientCertificate(commonName: "p12-device", keyType: .rsa(bits: 2048))
        let (certificate, key) = try files(issued, keyFormat: .pkcs8, name: "p12src")
        try run("/usr/bin/certtool", ["--to-p12", "--load-certificate", certificate, "--load-privkey", key,
                                      "--p12-name", "device", "--password", "p12-pass", "--outder", "--outfile", bundle])
        let identity = try ClientIdentity.pkcs12(file: bundle, password: "p12-pass")
        #expect(identity.certificate == issued.certificate)
        let wrong = #expect(throws: TLSError.self) { try ClientIdentity.pkcs12(file: bundle, password: "nope") }
        #expect(wrong?.code == .wrongPassphrase)
        let missing = #expect(throws: TLSError.self) { try ClientIdentity.pkcs12(file: bundle, password: "") }
        #expect(missing?.code == .passphraseRequired)

        let peer = try await GnuTLSServ.start()
        defer { peer.stop() }
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(identity: identity),
                                                         connectTo: peer.connectTo)
        #expect(try await connection.echo("p12\n") == "p12\n")
    }

    @Test("an in-memory PEM identity keeps its chain in order")
    func inMemoryChain() throws {
        let intermediate = try CertificateAuthority(intermediateOf: pki.authority, commonName: "Device CA")
        let issued = try intermediate.makeClientCertificate(commonName: "chained")
        let identity = try ClientIdentity.pem(certificateChain: Array(issued.chainPEM.utf8),
                                              privateKey: Array(issued.privateKeyPEM().utf8))
        #expect(identity.certificateChain == [issued.certificate, intermediate.certificate])
        #expect(identity.keyLocation == .memory)
    }
}

