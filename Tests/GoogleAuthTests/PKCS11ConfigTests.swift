import Foundation
import GoogleAuth
import MTLS
import TestSupport
import Testing

/// The `pkcs11` section of a certificate config (as enterprise-certificate-proxy writes it), used
/// natively through GnuTLS with the key staying inside a SoftHSM2 token.
@Suite("Certificate config: pkcs11")
struct PKCS11ConfigTests {
    @Test("a pkcs11 section (module, hex slot, label, PIN) yields the token's identity and completes an mTLS handshake",
          .enabled(if: FileManager.default.fileExists(atPath: SoftHSMToken.module)))
    func pkcs11Section() async throws {
        let token = try SoftHSMToken.shared
        let slot = "0x" + String(try token.slotID, radix: 16)
        let machine = try FakeMachine()
        try machine.write(#"{"cert_configs": {"pkcs11": {"module": "\#(SoftHSMToken.module)", "slot": "\#(slot)", "#
                          + #""label": "device", "user_pin": "\#(token.pin)"}}, "libs": {"ecp": "/nonexistent/ecp"}}"#,
                          at: ".config/gcloud/certificate_config.json")
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        #expect(source.kind == .pkcs11(config: machine.home.path + "/.config/gcloud/certificate_config.json",
                                       module: SoftHSMToken.module, slot: try token.slotID, label: "device"))
        #expect(!source.description.contains(token.pin))
        let identity = try await source.identity()
        #expect(identity.certificate == token.issued.certificate)

        let peer = try await GnuTLSServ.start()
        defer { peer.stop() }
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: source.tlsConfiguration(TestPKI.shared.configuration()),
                                                         connectTo: peer.connectTo)
        #expect(try #require(await connection.info).clientCertificate == token.issued.certificate)
        await connection.close()
    }
}
