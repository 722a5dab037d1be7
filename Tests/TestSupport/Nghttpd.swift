import Foundation
import MTLS

/// `nghttpd` (nghttp2's own HTTP/2 server, Debian package `nghttp2-server`): a second real HTTP/2
/// implementation to test against. It serves the files of `documentRoot` for any method (a request
/// body is read to its end and ignored before the response starts), listens on 127.0.0.1 only, and
/// with `--verify-client` ends the handshake when the client sends no certificate. nghttpd 1.52
/// does not check that certificate against a CA: any certificate passes.
public enum Nghttpd {
    public static let executable = "/usr/sbin/nghttpd"

    public static func start(documentRoot: String,
                             certificate: String = TestPKI.shared.path("server.pem"),
                             key: String = TestPKI.shared.path("server.key")) async throws -> PeerProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TLSError(.ioError, "\(executable) is missing: install the nghttp2-server package (make peers)")
        }
        let logDirectory = try TestPKI.shared.scratch("nghttpd")
        return try await PeerProcess.start(executable, logDirectory: logDirectory) { port in
            ["--address=127.0.0.1", "--verify-client", "--htdocs=\(documentRoot)", String(port), key, certificate]
        }
    }
}
