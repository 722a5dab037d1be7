import FoundationEssentials
import HTTP2
import MTLS

/// A local emulator of Google APIs over mutual TLS and HTTP/2: Cloud Storage, Pub/Sub and Secret
/// Manager in memory, stand-ins for Cloud KMS encrypt/decrypt, IAM Credentials generateAccessToken,
/// Resource Manager project reads and Logging writes, OAuth2 and STS token endpoints, an optional
/// metadata server, fault injection.
///
/// It answers for `*.googleapis.com` and `*.mtls.googleapis.com` names on one loopback port; reach
/// it with `connectTo` (every name, that port), trusting `files.caCertificate`. On an mTLS name a
/// request without a client certificate from its CA gets 403, as Google refuses it.
public final class GoogleAPIEmulator: Sendable {
    /// Where it listens, where its files go, and what misbehaviour to act out.
    public struct Configuration: Sendable {
        /// The directory for its CA, certificates, keys and configuration files (a CA already there is reused).
        public var directory: String
        /// The address to listen on (loopback by default).
        public var host: String
        /// The port (0: any free one).
        public var port: Int
        /// The project its service account belongs to.
        public var projectID: String
        /// How long issued access tokens live.
        public var tokenLifetime: Duration
        /// Faults acted out on matching requests (besides those asked for by the `x-emulator-fault` header).
        public var faults: [EmulatorFaultRule]
        /// Also serve a GCE-style metadata server (plain HTTP on loopback); see `metadataHost`.
        public var metadataServer: Bool

        /// An emulator writing its files to `directory`, on a free loopback port.
        public init(directory: String, host: String = "127.0.0.1", port: Int = 0, projectID: String = "emulator-project",
                    tokenLifetime: Duration = .seconds(3600), faults: [EmulatorFaultRule] = [],
                    metadataServer: Bool = false) {
            self.directory = directory
            self.host = host
            self.port = port
            self.projectID = projectID
            self.tokenLifetime = tokenLifetime
            self.faults = faults
            self.metadataServer = metadataServer
        }
    }

    /// The files it wrote: CA, client certificate and key, certificate config, service account.
    public let files: EmulatorFiles
    /// The project its service account and resources belong to.
    public let projectID: String
    private let server: HTTP2Server
    private let metadata: EmulatorMetadataServer?

    /// `GCE_METADATA_HOST` for the metadata server (`127.0.0.1:PORT`), when it was asked for.
    public var metadataHost: String? { metadata.map { "127.0.0.1:\($0.port)" } }

    /// The port it listens on.
    public var port: Int { server.port }

    /// Rules that send every host name and port to the emulator (for `HTTPClient`, credentials, `gmtls`).
    public var connectTo: [ConnectTo] { [ConnectTo(host: nil, port: nil, targetHost: "127.0.0.1", targetPort: port)] }

    /// The same rule in curl's `--connect-to` syntax: `::127.0.0.1:PORT`.
    public var connectToArgument: String { "::127.0.0.1:\(port)" }

    /// Every variable an unchanged app needs to use the emulator: the certificate config, the
    /// service-account key, `GMTLS_CONNECT_TO`, `SSL_CERT_FILE` (the emulator's CA) and the project.
    /// `start` also writes them to `env.sh` in the directory, for `source`.
    public var environment: [String: String] {
        files.environment.merging(["GMTLS_CONNECT_TO": connectToArgument, "SSL_CERT_FILE": files.caCertificate,
                                   "GOOGLE_CLOUD_PROJECT": projectID]) { $1 }
    }

    private init(files: EmulatorFiles, projectID: String, server: HTTP2Server, metadata: EmulatorMetadataServer?) {
        self.files = files
        self.projectID = projectID
        self.server = server
        self.metadata = metadata
    }

    /// Makes (or loads) the CA, writes the files, and starts serving.
    public static func start(_ configuration: Configuration) async throws -> GoogleAPIEmulator {
        // Key generation (RSA-2048 among them) runs on a thread of its own, not the task pool.
        let pki = try await BlockingWork.run("emulator PKI") {
            try EmulatorPKI(directory: configuration.directory, projectID: configuration.projectID)
        }
        let tokens = TokenIssuer(key: pki.serviceAccountKey, keyID: pki.serviceAccountKeyID,
                                 lifetime: configuration.tokenLifetime)
        let router = EmulatorRouter(tokens: tokens, services: [
            "storage": StorageService(), "pubsub": PubSubService(), "secretmanager": SecretManagerService(),
            "cloudkms": CloudKMSService(), "iamcredentials": IAMCredentialsService { tokens.issue(lifetime: $0) },
            "cloudresourcemanager": ResourceManagerService(projectID: configuration.projectID), "logging": LoggingService(),
        ], faults: FaultInjector(rules: configuration.faults))
        let server = try await HTTP2Server.start(host: configuration.host, port: configuration.port,
                                                 tls: try pki.serverConfiguration()) { await router.handle($0) }
        let metadata = configuration.metadataServer
            ? try EmulatorMetadataServer(tokens: tokens, projectID: configuration.projectID) : nil
        let emulator = GoogleAPIEmulator(files: pki.files, projectID: configuration.projectID, server: server, metadata: metadata)
        let script = emulator.environment.sorted { $0.key < $1.key }.map { "export \($0.key)='\($0.value)'" }.joined(separator: "\n")
        try Data((script + "\n").utf8).write(to: URL(fileURLWithPath: pki.files.directory + "/env.sh"))
        return emulator
    }

    /// Stops serving and closes every connection.
    public func shutdown() async {
        metadata?.close()
        await server.shutdown()
    }
}
