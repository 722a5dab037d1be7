import FoundationEssentials
import MTLS

/// Where the client certificate comes from, and the current identity from it.
///
/// Workload certificates are re-read when either file changes (rotation); a key that does not
/// match its certificate is retried, 4 attempts 5 s apart, as AIP-4118 asks for the moment of a
/// rotation. SecureConnect's provider command runs once and its result is reused until the leaf
/// expires. A PKCS#11 key is opened once and stays in its token.
/// Use `tlsConfiguration(_:)` (or `identityForHandshake`) so every new connection sees the
/// current certificate.
public final class ClientCertificateSource: Sendable, CustomStringConvertible {
    /// The kind of source and where it is configured.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// An identity the caller passed in code.
        case explicit
        /// `cert_configs.workload` of a certificate config: PEM certificate and key files.
        case workload(config: String, certificate: String, key: String)
        /// `cert_configs.pkcs11` of a certificate config: a key inside a PKCS#11 token.
        case pkcs11(config: String, module: String, slot: UInt64?, label: String)
        /// SecureConnect (Endpoint Verification): a provider command that prints the certificate.
        case secureConnect(metadata: String, command: [String])

        /// A short name: `explicit`, `workload`, `pkcs11` or `secureconnect`.
        public var name: String {
            switch self {
            case .explicit: "explicit"
            case .workload: "workload"
            case .pkcs11: "pkcs11"
            case .secureConnect: "secureconnect"
            }
        }

        /// The `certificate_config.json` it comes from, if any.
        public var configPath: String? {
            switch self {
            case .workload(let config, _, _), .pkcs11(let config, _, _, _): config
            case .explicit, .secureConnect: nil
            }
        }

        public var description: String {
            switch self {
            case .explicit: "a certificate passed in code"
            case .workload(let config, let certificate, let key): "workload certificate \(certificate) with key \(key) (from \(config))"
            case .pkcs11(let config, let module, let slot, let label):
                "PKCS#11 key \"\(label)\" in slot \(slot.map { "0x" + String($0, radix: 16) } ?? "any") via \(module) (from \(config))"
            case .secureConnect(let metadata, let command): "SecureConnect provider \(command.joined(separator: " ")) (from \(metadata))"
            }
        }
    }

    /// The kind of source.
    public let kind: Kind
    private let loader: @Sendable () throws -> ClientIdentity
    private let mismatchRetry: (attempts: Int, delay: Duration)
    private let state = Locked<(identity: ClientIdentity?, signature: [[Int]?])>((nil, []))

    init(kind: Kind, mismatchRetry: (attempts: Int, delay: Duration) = (4, .seconds(5)),
         loader: @escaping @Sendable () throws -> ClientIdentity) {
        self.kind = kind
        self.loader = loader
        self.mismatchRetry = mismatchRetry
    }

    /// A source that always presents `identity`.
    public static func explicit(_ identity: ClientIdentity) -> ClientCertificateSource {
        ClientCertificateSource(kind: .explicit) { identity }
    }

    public var description: String { kind.description }

    /// The current identity, loading or reloading it as needed; a key/certificate mismatch in
    /// workload files is retried (AIP-4118) before it is reported.
    /// Loading runs on a thread of its own: a provider command may take seconds, and must not hold
    /// a thread of the task pool meanwhile.
    /// A load that fails while the files are being rewritten (they changed during the read) is
    /// retried the same way.
    public func identity() async throws -> ClientIdentity {
        var attempt = 1
        while true {
            let before = watchedFiles.map(ConfigFile.signature)
            do {
                return try await BlockingWork.run("client certificate") { try self.current(keepPreviousOnMismatch: false) }
            } catch let error as GoogleAuthError where attempt < mismatchRetry.attempts
                        && (error.code == .keyMismatch || watchedFiles.map(ConfigFile.signature) != before) {
                attempt += 1
                try await Task.sleep(for: mismatchRetry.delay)
            }
        }
    }

    /// The identity for a TLS handshake, without waiting: files are re-read if they changed, and
    /// during a rotation (new certificate, old key) the previous identity is presented until the
    /// pair matches again. Runs on the connection's event loop.
    public func identityForHandshake(_ request: CertificateRequest) throws -> ClientIdentity? {
        try current(keepPreviousOnMismatch: true)
    }

    /// `configuration` presenting this source's current identity at every handshake.
    public func tlsConfiguration(_ configuration: TLSConfiguration = TLSConfiguration()) -> TLSConfiguration {
        var configuration = configuration
        configuration.clientIdentity = nil
        configuration.getClientIdentity = { [self] request in try identityForHandshake(request) }
        return configuration
    }

    private func current(keepPreviousOnMismatch: Bool) throws -> ClientIdentity {
        let signature = watchedFiles.map(ConfigFile.signature)
        let cached = state.withLock { state -> ClientIdentity? in
            guard let identity = state.identity, state.signature == signature, isFresh(identity) else { return nil }
            return identity
        }
        if let cached { return cached }
        do {
            let identity = try loader()
            state.withLock { $0 = (identity, signature) }
            return identity
        } catch let error as GoogleAuthError where error.code == .keyMismatch && keepPreviousOnMismatch {
            guard let previous = state.withLock({ $0.identity }) else { throw error }
            return previous
        }
    }

    /// Files whose change means "load again" (workload certificates).
    private var watchedFiles: [String] {
        if case .workload(_, let certificate, let key) = kind { return [certificate, key] }
        return []
    }

    /// SecureConnect certificates are reused until they expire; others until their files change.
    private func isFresh(_ identity: ClientIdentity) -> Bool {
        guard case .secureConnect = kind else { return true }
        return identity.certificate.notAfter > Date()
    }
}
