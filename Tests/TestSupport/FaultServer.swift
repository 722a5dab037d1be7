import Foundation
import MTLS

/// `Tests/Peers/h2_fault_server.py`: an HTTP/2 server over mutual TLS (Python, the `h2` package)
/// that misbehaves on purpose, chosen by the request path: `/ok`, `/echo`, `/refuse-once`,
/// `/goaway-once`, `/reset`, `/stall`, `/no-read`, `/huge-headers`, `/malformed`, `/drop`,
/// `/slow-trickle`; anything else is 404. See the script for what each one does.
public enum FaultServer {
    /// The script, found from this source file: `<repo>/Tests/Peers/h2_fault_server.py`.
    public static var scriptPath: String {
        URL(fileURLWithPath: #filePath)        // <repo>/Tests/TestSupport/FaultServer.swift
            .deletingLastPathComponent()       // <repo>/Tests/TestSupport
            .deletingLastPathComponent()       // <repo>/Tests
            .appendingPathComponent("Peers")
            .appendingPathComponent("h2_fault_server.py")
            .path
    }

    /// Starts the server on a free loopback port with the test PKI's server certificate, requiring
    /// a client certificate from the test CA; returns once the port accepts connections. Its log
    /// (one line per request) is `env-<port>.log` in a scratch directory of `TestPKI.shared`.
    public static func start(certificate: String = TestPKI.shared.path("server.pem"),
                             key: String = TestPKI.shared.path("server.key"),
                             clientCA: String = TestPKI.shared.path("ca.pem")) async throws -> PeerProcess {
        let script = scriptPath
        guard FileManager.default.fileExists(atPath: script) else {
            throw TLSError(.ioError, "the fault server script is missing: \(script)")
        }
        let logDirectory = try TestPKI.shared.scratch("fault-server")
        return try await PeerProcess.start("/usr/bin/env", logDirectory: logDirectory) { port in
            ["python3", script, "--port", String(port), "--cert", certificate, "--key", key, "--ca", clientCA]
        }
    }
}
