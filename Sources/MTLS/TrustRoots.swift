import CGnuTLS
import FoundationEssentials

/// The certificate authorities a server's chain must lead to.
///
/// The default is the system store (`/etc/ssl/certs/ca-certificates.crt` on Debian). Verification
/// against these roots, including the host name, is always on: there is no way to turn it off.
public struct TrustRoots: Sendable, Hashable {
    enum Source: Sendable, Hashable {
        case system
        case pemFile(String)
        case directory(String)
        case pem([UInt8])
    }

    let sources: [Source]

    /// The operating system's store; like OpenSSL and curl, `SSL_CERT_FILE` and `SSL_CERT_DIR`
    /// (directories separated by `:`) replace it when set.
    public static let system = TrustRoots(sources: [.system])

    /// Every certificate in a PEM bundle file.
    public static func pemFile(_ path: String) -> TrustRoots { TrustRoots(sources: [.pemFile(path)]) }

    /// Every PEM certificate file in a directory (like `SSL_CERT_DIR`).
    public static func directory(_ path: String) -> TrustRoots { TrustRoots(sources: [.directory(path)]) }

    /// Every certificate in a PEM bundle held in memory.
    public static func pem(_ bundle: [UInt8]) -> TrustRoots { TrustRoots(sources: [.pem(bundle)]) }

    /// The given certificates.
    public static func certificates(_ certificates: [Certificate]) -> TrustRoots {
        pem(Array(certificates.map(\.pem).joined().utf8))
    }

    /// Both sets of roots, e.g. `.system + .pemFile(corporateCA)`.
    public static func + (lhs: TrustRoots, rhs: TrustRoots) -> TrustRoots {
        TrustRoots(sources: lhs.sources + rhs.sources)
    }

    /// Adds the roots to GnuTLS credentials; an empty or unreadable source is an error.
    func load(into credentials: gnutls_certificate_credentials_t) throws {
        for source in sources {
            let count: Int32
            let name: String
            switch source {
            case .system where Self.environmentSources() != nil:
                try TrustRoots(sources: Self.environmentSources()!).load(into: credentials)
                continue
            case .system:
                name = "the system trust store"
                count = gnutls_certificate_set_x509_system_trust(credentials)
            case .pemFile(let path):
                name = "CA file \(path)"
                count = Self.addBundle(try FileBytes.read(path, what: "CA file"), to: credentials)
            case .directory(let path):
                name = "CA directory \(path)"
                count = gnutls_certificate_set_x509_trust_dir(credentials, path, GNUTLS_X509_FMT_PEM)
            case .pem(let bytes):
                name = "the in-memory CA bundle"
                count = Self.addBundle(bytes, to: credentials)
            }
            try GnuTLS.check(count, .malformedInput, "\(name) could not be loaded")
            if count == 0 {
                throw TLSError(.malformedInput, "\(name) contains no PEM certificate")
            }
        }
    }

    /// What `SSL_CERT_FILE` and `SSL_CERT_DIR` name instead of the system store; nil when neither is set.
    static func environmentSources(_ variables: [String: String] = Environment.values(["SSL_CERT_FILE", "SSL_CERT_DIR"])) -> [Source]? {
        let file = variables["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : Source.pemFile($0) }
        let directories = (variables["SSL_CERT_DIR"] ?? "").split(separator: ":").map { Source.directory(String($0)) }
        let sources = (file.map { [$0] } ?? []) + directories
        return sources.isEmpty ? nil : sources
    }

    /// Adds every certificate of a PEM bundle; returns how many, or a GnuTLS error.
    private static func addBundle(_ bytes: [UInt8], to credentials: gnutls_certificate_credentials_t) -> Int32 {
        GnuTLS.withDatum(bytes) { gnutls_certificate_set_x509_trust_mem(credentials, &$0, GNUTLS_X509_FMT_PEM) }
    }
}
