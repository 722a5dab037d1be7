import Foundation
import MTLS
import TestSupport
import Testing

/// A SoftHSM2 token holding a client key that never leaves it, as a device certificate would.
@Suite("PKCS#11 identities (SoftHSM2)")
struct PKCS11Tests {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"
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

/// One SoftHSM2 token for the whole run, holding a client key that was deleted from disk after
/// import. Made once, before any test loads the module: a loaded SoftHSM2 does not see tokens
/// that another process creates later (SOFTHSM2_CONF is set by `make test`, or here).
struct SoftHSMToken: Sendable {
    /// The token the handshake test logs in to, and one nobody logs in to (PKCS#11 logins last for
    /// the process, so a wrong PIN is only asked for on a token that is not logged in yet).
    static let tokens = Result {
        (try SoftHSMToken(label: "mtls-\(getpid())", pin: "1234"), try SoftHSMToken(label: "pin-\(getpid())", pin: "1234"))
    }
    static var shared: SoftHSMToken { get throws { try tokens.get().0 } }
    static var untouched: SoftHSMToken { get throws { try tokens.get().1 } }

    let label: String
    let pin: String
    let issued: IssuedCertificate
    var keyURL: String { "pkcs11:token=\(label);object=device;type=private" }
    var certificateURL: String { "pkcs11:token=\(label);object=device;type=cert" }

    private init(label: String, pin: String) throws {
        self.label = label
        self.pin = pin
        try SoftHSMToken.configure()
        try run("/usr/bin/softhsm2-util", ["--init-token", "--free", "--label", label, "--so-pin", "5678", "--pin", pin])
        issued = try TestPKI.shared.authority.makeClientCertificate(commonName: "hsm-device")
        let directory = try TestPKI.shared.scratch("hsm-src")
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try issued.write(certificateTo: certificate, keyTo: key)
        try store(key: key, certificate: certificate, label: "device")
        try FileManager.default.removeItem(atPath: key)   // from here on the key exists only in the token
    }

    /// Points SoftHSM2 at a token directory of this test run unless `make test` already did;
    /// it must happen before GnuTLS loads the module.
    static func configure() throws {
        guard getenv("SOFTHSM2_CONF") == nil else { return }
        let directory = TestPKI.shared.directory.appendingPathComponent("softhsm-tokens")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = TestPKI.shared.directory.appendingPathComponent("softhsm2.conf")
        if !FileManager.default.fileExists(atPath: config.path) {
            try Data("directories.tokendir = \(directory.path)\nobjectstore.backend = file\n".utf8).write(to: config)
        }
        setenv("SOFTHSM2_CONF", config.path, 1)
    }

    /// Copies a PEM key (private; p11tool marks written keys sensitive) and its certificate into the token.
    func store(key: String, certificate: String, label object: String) throws {
        let token = "pkcs11:token=\(label)"
        let common = ["--provider", PKCS11Tests.module, "--login", "--set-pin", pin]
        try run("/usr/bin/p11tool", common + ["--write", "--load-privkey", key, "--label", object,
                                              "--mark-private", token])
        try run("/usr/bin/p11tool", common + ["--write", "--load-certificate", certificate, "--label", object, token])
    }
}
