import Foundation
import MTLS

/// One SoftHSM2 token for the whole run, holding a client key that was deleted from disk after
/// import. Made once, before any test loads the module: a loaded SoftHSM2 does not see tokens
/// that another process creates later (SOFTHSM2_CONF is set by `make test`, or here).
public struct SoftHSMToken: Sendable {
    /// SoftHSM2's PKCS#11 module.
    public static let module = "/usr/lib/softhsm/libsofthsm2.so"

    /// The token the handshake test logs in to, and one nobody logs in to (PKCS#11 logins last for
    /// the process, so a wrong PIN is only asked for on a token that is not logged in yet).
    static let tokens = Result {
        (try SoftHSMToken(label: "mtls-\(getpid())", pin: "1234"), try SoftHSMToken(label: "pin-\(getpid())", pin: "1234"))
    }
    public static var shared: SoftHSMToken { get throws { try tokens.get().0 } }
    public static var untouched: SoftHSMToken { get throws { try tokens.get().1 } }

    public let label: String
    public let pin: String
    public let issued: IssuedCertificate
    public var keyURL: String { "pkcs11:token=\(label);object=device;type=private" }
    public var certificateURL: String { "pkcs11:token=\(label);object=device;type=cert" }

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
    public static func configure() throws {
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
    public func store(key: String, certificate: String, label object: String) throws {
        let token = "pkcs11:token=\(label)"
        let common = ["--provider", SoftHSMToken.module, "--login", "--set-pin", pin]
        try run("/usr/bin/p11tool", common + ["--write", "--load-privkey", key, "--label", object,
                                              "--mark-private", token])
        try run("/usr/bin/p11tool", common + ["--write", "--load-certificate", certificate, "--label", object, token])
    }
}

extension SoftHSMToken {
    /// The token's slot number, as `softhsm2-util --show-slots` lists it (certificate configs name slots).
    public var slotID: UInt64 {
        get throws {
            let listing = try output("/usr/bin/softhsm2-util", ["--show-slots"])
            var slot: UInt64?
            for line in listing.split(separator: "\n") {
                let text = line.trimmingCharacters(in: .whitespaces)
                if text.hasPrefix("Slot "), let number = UInt64(text.dropFirst(5)) { slot = number }
                if text.hasPrefix("Label:"), text.dropFirst(6).trimmingCharacters(in: .whitespaces) == label, let slot {
                    return slot
                }
            }
            throw TLSError(.pkcs11, "softhsm2-util does not list a slot for token \(label)")
        }
    }
}
