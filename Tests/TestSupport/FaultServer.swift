import Foundation
import MTLS

/// `Tests/Peers/h2_fault_server.py`: an HTTP/2 server over mutual TLS (Python, the `h2` package)
/// that misbehaves on purpose, chosen by the request path: `/ok`, `/ok-later`, `/echo`, `/refuse-once`,
/// `/goaway-once`, `/reset`, `/stall`, `/no-read`, `/huge-headers`, `/malformed`, `/drop`,
/// `/slow-trickle`, `/freeze`, and the hostile-server matrix of frame-level misbehaviour
/// (`/settings-flood`, `/ping-flood`, `/rst-flood`, `/window-overflow`, `/data-beyond-window`,
/// `/body-beyond-length`, `/continuation-flood`, `/hpack-bomb`, `/stream-reuse`, `/goaway-lower`);
/// anything else is 404. See the script for what each one does.
public enum FaultServer {
    /// Misbehaviour that comes before any request, so the whole server has to be started for it.
    public enum Mode: String, Sendable {
        /// Behaviour by request path.
        case normal
        /// Every connection gets 64 bytes of junk instead of the server's SETTINGS, then silence
        /// (held open until the client closes it, at most 30 s); no request is ever read.
        case garbagePreface = "garbage-preface"
        /// Nothing at all after the TLS handshake (no SETTINGS, no answers), held the same way.
        case noSettings = "no-settings"
        /// Every connection sends its SETTINGS (2 concurrent streams, enforced from the start)
        /// only 0.3 s after the TLS handshake; requests are then served as in `normal`.
        case lateSettings = "late-settings"
    }

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
                             clientCA: String = TestPKI.shared.path("ca.pem"),
                             mode: Mode = .normal) async throws -> PeerProcess {
        let script = scriptPath
        guard FileManager.default.fileExists(atPath: script) else {
            throw TLSError(.ioError, "the fault server script is missing: \(script)")
        }
        let logDirectory = try TestPKI.shared.scratch("fault-server")
        return try await PeerProcess.start("/usr/bin/env", logDirectory: logDirectory) { port in
            ["python3", script, "--port", String(port), "--cert", certificate, "--key", key, "--ca", clientCA,
             "--mode", mode.rawValue]
        }
    }
}
