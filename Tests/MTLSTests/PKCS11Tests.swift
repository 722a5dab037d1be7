import Foundation
import MTLS
import TestSupport
import Testing

/// A SoftHSM2 token holding a client key that never leaves it, as a device certificate would.
@Suite("PKCS#11 identities (SoftHSM2)")
struct PKCS11Tests {
    static let module = SoftHSMToken.module
    let pki = TestPKI.shared

    @Test("a key inside a SoftHSM2 token completes an mTLS handshake", .enabled(if: FileManager.default.fileExists(atPath: module)))
    func softHSMIdentityHandshakes() async throws {
        let token = try SoftHSMToken.shared
        let identity = try ClientIdentity.pkcs11(privateKeyURL: token.keyURL, certificate: token.certificateURL,
                                                 pin: token.pin, module: Self.module)
        #expect(identity.certificate == token.issued.certificate)
        #expect(identity.keyLocation == .pkcs11(token.keyURL))

        let peer = try await GnuTLSServ.start()
        defer { peer.stop() }
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(identity: identity),
                                                         connectTo: peer.connectTo)
        #expect(try await connection.echo("hsm\n") == "hsm\n")
        #expect(try #require(await connection.info).clientCertificate == token.issued.certificate)
    }

    @Test("a wrong PIN is wrongPassphrase and the PIN is not in the message", .enabled(if: FileManager.default.fileExists(atPath: module)))
    func wrongPIN() throws {
        let token = try SoftHSMToken.untouched
        let error = #expect(throws: TLSError.self) {
            try ClientIdentity.pkcs11(privateKeyURL: token.keyURL, certificate: token.certificateURL,
                                      pin: "9999", module: Self.module)
        }
        #expect(error?.code == .wrongPassphrase)
        #expect(error.map { "\($0)" }?.contains("9999") == false)
    }
}
