import FoundationEssentials
import MTLS

/// A stand-in for Cloud KMS (v1) encrypt and decrypt: any `projects/…/cryptoKeys/K` name is a key
/// (keys need not be created first). Ciphertexts only decrypt with the key that made them; the
/// cipher itself is a keyed XOR, for tests and demos only, never for secrets.
public actor CloudKMSService: RoutedService {
    /// An empty service.
    public init() {}

    struct Route {
        let key: String
        let verb: String
    }

    static func route(of request: APIRequest) -> Route? {
        guard request.method == "POST", request.path.hasPrefix("/v1/projects/"), let colon = request.path.lastIndex(of: ":") else {
            return nil
        }
        let key = PercentEncoding.decode(String(request.path[request.path.index(request.path.startIndex, offsetBy: 4)..<colon]))
        guard key.contains("/cryptoKeys/") else { return nil }
        return Route(key: key, verb: String(request.path[request.path.index(after: colon)...]))
    }

    private struct EncryptBody: Decodable { let plaintext: String? }
    private struct DecryptBody: Decodable { let ciphertext: String? }

    func respond(to request: APIRequest, _ route: Route) throws(ServiceError) -> APIResponse {
        switch route.verb {
        case "encrypt":
            let body = try JSONBody.decode(EncryptBody.self, from: request.body)
            guard let plaintext = body.plaintext.flatMap({ Data(base64Encoded: $0) }) else {
                throw .invalidArgument("plaintext must be base64.")
            }
            let sealed = [0x01] + Array(Digest.sha256(Array(route.key.utf8)).prefix(8)) + Self.xor(Array(plaintext), route.key)
            return .json(200, ["name": route.key + "/cryptoKeyVersions/1", "ciphertext": Data(sealed).base64EncodedString()])
        case "decrypt":
            let body = try JSONBody.decode(DecryptBody.self, from: request.body)
            guard let sealed = body.ciphertext.flatMap({ Data(base64Encoded: $0) }).map(Array.init), sealed.count >= 9,
                  sealed[0] == 0x01, Array(sealed[1..<9]) == Array(Digest.sha256(Array(route.key.utf8)).prefix(8)) else {
                throw .invalidArgument("Decryption failed: the ciphertext is invalid.")
            }
            return .json(200, ["plaintext": Data(Self.xor(Array(sealed.dropFirst(9)), route.key)).base64EncodedString()])
        default:
            throw .noRoute(request)
        }
    }

    /// XOR with a keystream of chained SHA-256 blocks of the key name.
    private static func xor(_ bytes: [UInt8], _ key: String) -> [UInt8] {
        var stream: [UInt8] = []
        var block = Digest.sha256(Array(key.utf8))
        while stream.count < bytes.count {
            stream += block
            block = Digest.sha256(block)
        }
        return zip(bytes, stream).map { $0 ^ $1 }
    }
}
