@testable import GoogleAuth
import MTLS

/// Certificate-provider output (SecureConnect's PEM blocks) and PEM chains: what parses must load.
enum PEMTarget {
    static func run(_ bytes: [UInt8]) {
        _ = try? Certificate.parseChain(pem: bytes, source: "fuzz input")
        for expectEncryptedKey in [false, true] {
            guard let output = try? SecureConnect.Output.parse(bytes, expectEncryptedKey: expectEncryptedKey) else { continue }
            _ = try? ClientIdentity.pem(certificateChain: output.chain, privateKey: output.key, passphrase: output.passphrase)
        }
    }
}
