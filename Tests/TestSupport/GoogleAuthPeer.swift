import Foundation
import MTLS

/// `Tests/Peers/google_auth_peer.py`: fake Google token endpoints over HTTP/2 + TLS (OAuth2 with
/// JWT-bearer verified by google-auth's own `jwt.decode`, refresh tokens, STS that checks the
/// presented client certificate, IAM Credentials) and a plain-HTTP metadata server.
/// Client certificates are optional; the log says which host was asked and which certificate came.
public final class GoogleAuthPeer: Sendable {
    /// One request as the peer logged it.
    public struct Request: Decodable, Sendable {
        public let host: String
        public let path: String
        public let method: String
        /// The common name of the client certificate presented, if any.
        public let clientCertificate: String?
        public let grantType: String?
        public let status: Int

        enum CodingKeys: String, CodingKey {
            case host, path, method, status
            case clientCertificate = "client_cert"
            case grantType = "grant_type"
        }
    }

    public let process: PeerProcess
    public let metadataPort: Int
    public let logPath: String

    private init(process: PeerProcess, metadataPort: Int, logPath: String) {
        self.process = process
        self.metadataPort = metadataPort
        self.logPath = logPath
    }

    /// The HTTPS port.
    public var port: Int { process.port }

    /// Every host name, any port, dialled at the peer.
    public var connectTo: [ConnectTo] { [ConnectTo(host: nil, port: nil, targetHost: "127.0.0.1", targetPort: port)] }

    /// `GCE_METADATA_HOST` for the peer's metadata server.
    public var metadataHost: String { "127.0.0.1:\(metadataPort)" }

    /// Starts the peer with the test PKI's server certificate, trusting the test CA for client certificates.
    public static func start(serviceAccounts: [String] = [], authorizedUsers: [String] = [], expiresIn: Int = 3600,
                             tokenDelay: Double = 0) async throws -> GoogleAuthPeer {
        let pki = TestPKI.shared
        let script = FaultServer.scriptPath.replacingOccurrences(of: "h2_fault_server.py", with: "google_auth_peer.py")
        let directory = try pki.scratch("auth-peer")
        let log = directory.appendingPathComponent("requests.jsonl").path
        let portFile = directory.appendingPathComponent("metadata-port").path
        // The metadata port is picked by the peer itself (port 0), so no other test can take it first.
        let process = try await PeerProcess.start("/usr/bin/env", logDirectory: directory) { port in
            ["python3", script, "--port", String(port), "--cert", pki.path("server.pem"), "--key", pki.path("server.key"),
             "--ca", pki.path("ca.pem"), "--metadata-port", "0", "--metadata-port-file", portFile, "--log", log,
             "--expires-in", String(expiresIn), "--token-delay", String(tokenDelay)]
                + serviceAccounts.flatMap { ["--service-account", $0] } + authorizedUsers.flatMap { ["--authorized-user", $0] }
        }
        guard let metadataPort = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap({ Int($0) }) else {
            process.stop()
            throw TLSError(.ioError, "the auth peer did not report its metadata port")
        }
        return GoogleAuthPeer(process: process, metadataPort: metadataPort, logPath: log)
    }

    /// The requests so far, in order.
    public func requests() throws -> [Request] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Requests to the token endpoints (not pings or stats).
    public func tokenRequests() throws -> [Request] {
        try requests().filter { $0.path.hasSuffix("/token") || $0.path.hasSuffix(":generateAccessToken") }
    }

    public func stop() { process.stop() }
}

/// Service account and authorized-user files like the ones Google issues, with fresh keys.
public enum TestCredentials {
    /// A `service_account` key file with a new RSA-2048 key; returns its path.
    public static func serviceAccount(in directory: URL, email: String = "robot@test-project.iam.gserviceaccount.com",
                                      tokenURI: String = "https://oauth2.googleapis.com/token") throws -> String {
        let key = try TestPKI.shared.authority.makeClientCertificate(commonName: email, keyType: .rsa(bits: 2048))
        return try write([
            "type": "service_account", "project_id": "test-project", "private_key_id": "key-\(UUID().uuidString.prefix(8))",
            "private_key": try key.privateKeyPEM(), "client_email": email, "client_id": "1234567890",
            "token_uri": tokenURI,
        ], to: directory.appendingPathComponent("service-account.json"))
    }

    /// An `authorized_user` file (what `gcloud auth application-default login` writes).
    public static func authorizedUser(in directory: URL, secret: String = "user-secret-3f9a") throws -> String {
        try write(["type": "authorized_user", "client_id": "client-1.apps.googleusercontent.com",
                   "client_secret": secret, "refresh_token": "1//refresh-7d2c", "quota_project_id": "user-project"],
                  to: directory.appendingPathComponent("authorized-user-\(secret.count).json"))
    }

    /// Writes a JSON object; returns the path.
    public static func write(_ object: [String: Any], to url: URL) throws -> String {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: url)
        return url.path
    }
}
