import FoundationEssentials
import MTLS

/// The files an emulator writes so an unchanged app can use it: its CA, a client certificate and
/// key with the `certificate_config.json` that names them, and a service-account key.
///
/// Point `GOOGLE_API_CERTIFICATE_CONFIG` and `GOOGLE_APPLICATION_CREDENTIALS` at them (see
/// `environment`), trust `caCertificate`, and dial the emulator with a connect-to rule.
public struct EmulatorFiles: Sendable {
    /// The directory holding everything.
    public let directory: String
    /// The CA certificate (PEM) that issued the server and client certificates: trust it.
    public let caCertificate: String
    /// The client certificate (PEM).
    public let clientCertificate: String
    /// The client key (PEM, mode 0600).
    public let clientKey: String
    /// A `certificate_config.json` whose `workload` section names the client certificate and key.
    public let certificateConfig: String
    /// A `service_account` key file whose key the emulator's token endpoint verifies.
    public let serviceAccount: String

    /// The service account's e-mail address.
    public static let serviceAccountEmail = "emulator@emulator-project.iam.gserviceaccount.com"

    /// Variables that point Google's libraries (and this SDK) at these files.
    public var environment: [String: String] {
        ["GOOGLE_API_CERTIFICATE_CONFIG": certificateConfig, "GOOGLE_APPLICATION_CREDENTIALS": serviceAccount]
    }

    init(directory: String) {
        self.directory = directory
        caCertificate = directory + "/ca.pem"
        clientCertificate = directory + "/client.pem"
        clientKey = directory + "/client.key"
        certificateConfig = directory + "/certificate_config.json"
        serviceAccount = directory + "/service-account.json"
    }

    var caKey: String { directory + "/ca.key" }
}

/// The emulator's certificates and keys: its CA (made fresh, or loaded from the directory when a
/// previous run left one there), the server certificate for every Google name, a client
/// certificate, and the service account's RSA key.
struct EmulatorPKI: Sendable {
    let files: EmulatorFiles
    let authority: CertificateAuthority
    let server: IssuedCertificate
    let serviceAccountKey: SigningKey
    let serviceAccountKeyID: String

    /// Names the server certificate covers (one label under each suffix, as Google's do).
    static let serverNames = ["*.googleapis.com", "*.mtls.googleapis.com", "*.sandbox.googleapis.com",
                              "*.mtls.sandbox.googleapis.com", "localhost"]

    init(directory: String, projectID: String) throws {
        files = EmulatorFiles(directory: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        authority = try Self.authority(files)
        server = try authority.makeServerCertificate(dnsNames: Self.serverNames, ipAddresses: ["127.0.0.1", "::1"],
                                                     notAfter: Date() + 30 * 86400)
        let client = try authority.makeClientCertificate(commonName: "emulator-device", notAfter: Date() + 30 * 86400)
        try client.write(certificateTo: files.clientCertificate, keyTo: files.clientKey)
        try Self.writeJSON(["cert_configs": ["workload": ["cert_path": .string(files.clientCertificate), "key_path": .string(files.clientKey)]],
                            "version": 1] as JSONLiteral, to: files.certificateConfig)
        let account = try authority.makeClientCertificate(commonName: "service-account", keyType: .rsa(bits: 2048))
        let keyPEM = try account.privateKeyPEM()
        serviceAccountKey = try SigningKey(pem: Array(keyPEM.utf8), source: "the emulator's service account key")
        serviceAccountKeyID = Digest.hex(Array(Digest.sha256(Array(keyPEM.utf8)).prefix(20)))
        try Self.writeJSON([
            "type": "service_account", "project_id": .string(projectID), "private_key_id": .string(serviceAccountKeyID),
            "private_key": .string(keyPEM), "client_email": .string(EmulatorFiles.serviceAccountEmail),
            "client_id": "100000000000000000001",
            "token_uri": "https://oauth2.googleapis.com/token",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        ] as JSONLiteral, to: files.serviceAccount, private: true)
    }

    /// The CA in the directory if there is one, else a new one saved there.
    private static func authority(_ files: EmulatorFiles) throws -> CertificateAuthority {
        if FileManager.default.fileExists(atPath: files.caKey) {
            return try CertificateAuthority(certificatePEM: Array(try Data(contentsOf: URL(fileURLWithPath: files.caCertificate))),
                                            keyPEM: Array(try Data(contentsOf: URL(fileURLWithPath: files.caKey))),
                                            source: files.caCertificate)
        }
        let authority = try CertificateAuthority(commonName: "Google API emulator CA")
        try authority.write(certificateTo: files.caCertificate, keyTo: files.caKey)
        return authority
    }

    /// The server's TLS settings: this PKI's server certificate; client certificates asked for
    /// and verified against the CA, but optional (mTLS names are enforced per request).
    func serverConfiguration() throws -> TLSServerConfiguration {
        TLSServerConfiguration(identity: try server.identity(), clientTrustRoots: .certificates([authority.certificate]),
                               clientCertificates: .request, applicationProtocols: ["h2", "http/1.1"])
    }

    private static func writeJSON(_ object: JSONLiteral, to path: String, private isPrivate: Bool = false) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes = Array(try encoder.encode(object))
        if isPrivate {
            try FileBytes.writePrivate(bytes, to: path, what: "service account key file")
        } else {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }
}
