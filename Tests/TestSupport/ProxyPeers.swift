import Foundation
import MTLS

/// Proxies for the tests: Debian's tinyproxy (HTTP CONNECT, optionally with Basic auth), a small
/// SOCKS5 server (`Tests/Peers/socks5_server.py`) and a TLS-terminating HTTPS proxy
/// (`Tests/Peers/https_proxy.py`). All listen on 127.0.0.1 only.
public enum ProxyPeers {
    /// tinyproxy with a configuration of its own; `credentials` turns on Basic authentication.
    public static func tinyproxy(credentials: (user: String, password: String)? = nil) async throws -> PeerProcess {
        let directory = try TestPKI.shared.scratch("tinyproxy")
        return try await PeerProcess.start("/usr/bin/tinyproxy", logDirectory: directory) { port in
            var config = "Port \(port)\nListen 127.0.0.1\nTimeout 60\nMaxClients 64\nAllow 127.0.0.1\nLogLevel Info\n"
            if let credentials { config += "BasicAuth \(credentials.user) \(credentials.password)\n" }
            let path = directory.appendingPathComponent("tinyproxy.conf").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(config.utf8))
            return ["-d", "-c", path]
        }
    }

    /// The SOCKS5 proxy; `credentials` requires username/password authentication. Its log (stderr)
    /// names each tunnel's target and how it was given (domain, ipv4, ipv6).
    public static func socks5(credentials: (user: String, password: String)? = nil) async throws -> PeerProcess {
        let script = FaultServer.scriptPath.replacingOccurrences(of: "h2_fault_server.py", with: "socks5_server.py")
        return try await PeerProcess.start("/usr/bin/env", logDirectory: try TestPKI.shared.scratch("socks5")) { port in
            ["python3", script, "--port", String(port)]
                + (credentials.map { ["--user", $0.user, "--password", $0.password] } ?? [])
        }
    }
}

extension ProxyPeers {
    /// An HTTPS proxy (`Tests/Peers/https_proxy.py`): TLS with the test PKI's server certificate
    /// (valid for `localhost` and 127.0.0.1), then CONNECT; `credentials` requires Basic auth.
    public static func https(credentials: (user: String, password: String)? = nil) async throws -> PeerProcess {
        let pki = TestPKI.shared
        let script = FaultServer.scriptPath.replacingOccurrences(of: "h2_fault_server.py", with: "https_proxy.py")
        return try await PeerProcess.start("/usr/bin/env", logDirectory: try pki.scratch("https-proxy")) { port in
            ["python3", script, "--port", String(port), "--cert", pki.path("server.pem"), "--key", pki.path("server.key")]
                + (credentials.map { ["--user", $0.user, "--password", $0.password] } ?? [])
        }
    }
}

extension PeerProcess {
    /// What the peer has written to its log so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
