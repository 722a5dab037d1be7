import FoundationEssentials
import MTLS

/// A JSON Web Token signed RS256 with a service account's key.
enum JWT {
    /// The claims Google reads; nil fields are left out.
    struct Claims: Encodable {
        var iss: String
        var sub: String?
        var aud: String?
        var scope: String?
        var iat: Int
        var exp: Int
    }

    private struct Header: Encodable {
        let alg = "RS256"
        let typ = "JWT"
        let kid: String?
    }

    /// `header.claims.signature`, each part base64url without padding.
    static func sign(_ claims: Claims, keyID: String?, key: SigningKey) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let signingInput = base64URL(Array(try encoder.encode(Header(kid: keyID)))) + "."
            + base64URL(Array(try encoder.encode(claims)))
        return signingInput + "." + base64URL(try key.signSHA256(Array(signingInput.utf8)))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacing("+", with: "-").replacing("/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }
}
