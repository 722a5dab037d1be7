import Foundation
import MTLS

/// A server process started for one test on a free loopback port, stopped by `stop()`.
public final class PeerProcess: Sendable {
    public let port: Int
    private let process: Process
    let logPath: String

    private init(port: Int, process: Process, logPath: String) {
        self.port = port
        self.process = process
        self.logPath = logPath
    }

    /// Starts `executable` with `arguments(port)` and waits until the port accepts connections.
    public static func start(_ executable: String, logDirectory: URL, arguments: (Int) -> [String]) async throws -> PeerProcess {
        let port = try freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments(port)
        let logPath = logDirectory.appendingPathComponent("\((executable as NSString).lastPathComponent)-\(port).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let peer = PeerProcess(port: port, process: process, logPath: logPath)
        try await peer.waitUntilListening()
        return peer
    }

    private func waitUntilListening() async throws {
        for _ in 0..<200 {
            if canConnect(port: port) { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        stop()
        throw TLSError(.connectTimeout, "test peer on port \(port) did not start: \(log)")
    }

    /// Connections to the peer, redirected: the name stays `TestPKI.serverName`.
    public var connectTo: [ConnectTo] { [ConnectTo(host: nil, port: nil, targetHost: "127.0.0.1", targetPort: port)] }

    /// Kills the peer and waits for it. SIGKILL, because gnutls-serv acts on SIGTERM only once a
    /// blocking poll (up to 40 s) in its handshake code returns.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard ok else { throw TLSError(.ioError, "no free loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

public func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}

public func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = loopback(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// `gnutls-serv` in echo mode: it ends the handshake with an alert when the client certificate is
/// missing or does not verify, as Google's front ends do.
public enum GnuTLSServ {
    public static func start(certificate: String = TestPKI.shared.path("server.pem"),
                      key: String = TestPKI.shared.path("server.key"),
                      clientCA: String = TestPKI.shared.path("ca.pem"),
                      extra: [String] = []) async throws -> PeerProcess {
        try await PeerProcess.start("/usr/bin/gnutls-serv", logDirectory: TestPKI.shared.directory) { port in
            ["--echo", "--port", String(port), "--x509certfile", certificate, "--x509keyfile", key,
             "--x509cafile", clientCA, "--require-client-cert", "--verify-client-cert", "--alpn", "h2"] + extra
        }
    }
}

/// nginx with `ssl_verify_client on` and HTTP/2: it completes the handshake whatever the client sends
/// and answers 400 to a missing or untrusted certificate. `/` reports what it saw, `/small` is a
/// small JSON body, `/upload` keeps request bodies in `uploads`, `/files/` serves `documentRoot`.
public enum Nginx {
    public static func start(certificate: String = TestPKI.shared.path("server.pem"),
                             key: String = TestPKI.shared.path("server.key"),
                             clientCA: String = TestPKI.shared.path("ca.pem"),
                             http2: Bool = true, documentRoot: String? = nil,
                             maxConcurrentStreams: Int = 128) async throws -> NginxPeer {
        let directory = try TestPKI.shared.scratch("nginx")
        let uploads = directory.appendingPathComponent("uploads")
        try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
        let process = try await PeerProcess.start("/usr/sbin/nginx", logDirectory: directory) { port in
            let config = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(directory.path)/nginx.pid;
            error_log \(directory.path)/error.log info;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(uploads.path);
                proxy_temp_path \(directory.path)/proxy;
                fastcgi_temp_path \(directory.path)/fastcgi;
                uwsgi_temp_path \(directory.path)/uwsgi;
                scgi_temp_path \(directory.path)/scgi;
                ssl_session_tickets on;
                ssl_protocols TLSv1.2 TLSv1.3;
                keepalive_requests 100000;
                http2_max_concurrent_streams \(maxConcurrentStreams);
                client_max_body_size 1g;
                server {
                    listen 127.0.0.1:\(port) ssl\(http2 ? " http2" : "");
                    ssl_certificate \(certificate);
                    ssl_certificate_key \(key);
                    ssl_client_certificate \(clientCA);
                    ssl_verify_client on;
                    location / {
                        default_type text/plain;
                        return 200 "verify=$ssl_client_verify subject=$ssl_client_s_dn sni=$ssl_server_name protocol=$server_protocol\\n";
                    }
                    location = /small {
                        default_type application/json;
                        return 200 '{"kind":"storage#object","name":"obj","bucket":"bench-bucket","size":"1048576"}';
                    }
                    # Reads the whole request body into a file kept in uploads/ (so a test can hash
                    # it), then answers 200 with the length: the mirror forces nginx to read first.
                    location = /upload {
                        client_body_in_file_only on;
                        root \(directory.path)/empty;
                        mirror /_sink;
                        mirror_request_body on;
                        error_page 404 405 =200 @uploaded;
                    }
                    location = /_sink { internal; return 204; }
                    location @uploaded {
                        default_type text/plain;
                        return 200 "bytes=$content_length\\n";
                    }
                    location = /trailers {
                        add_trailer x-checksum "done" always;
                        default_type text/plain;
                        return 200 "body with trailers\\n";
                    }
                    location /files/ {
                        alias \(documentRoot ?? directory.path + "/empty")/;
                    }
                }
            }
            """
            try? Data(config.utf8).write(to: directory.appendingPathComponent("nginx.conf"))
            return ["-p", directory.path, "-c", directory.appendingPathComponent("nginx.conf").path]
        }
        return NginxPeer(process: process, uploads: uploads)
    }
}

/// A running nginx and the directory where it keeps uploaded request bodies.
public struct NginxPeer: Sendable {
    public let process: PeerProcess
    public let uploads: URL
    public var port: Int { process.port }
    public var connectTo: [ConnectTo] { process.connectTo }
    public func stop() { process.stop() }

    /// The bodies nginx stored for `/upload` requests.
    public func uploadedFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: uploads, includingPropertiesForKeys: nil)
    }
}

/// Helpers for talking to the peers.
public extension TLSConnection {
    /// Writes `text` and reads until `count` bytes came back (the echo server's answer).
    func echo(_ text: String) async throws -> String {
        let bytes = Array(text.utf8)
        try await write(bytes)
        var received: [UInt8] = []
        while received.count < bytes.count {
            let chunk = try await read()
            if chunk.isEmpty { break }
            received += chunk
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Sends `GET /` over HTTP/1.1 and returns the whole response (nginx closes after it).
    func getOverHTTP1() async throws -> String {
        try await write(Array("GET / HTTP/1.1\r\nHost: \(TestPKI.serverName)\r\nConnection: close\r\n\r\n".utf8))
        var response: [UInt8] = []
        while true {
            let chunk = try await read()
            if chunk.isEmpty { break }
            response += chunk
        }
        return String(decoding: response, as: UTF8.self)
    }
}

/// A loopback TCP listener that never accepts: connections wait in its backlog, and beyond it
/// SYNs are dropped. Returns the descriptor (close it) and the port.
public func silentListener(backlog: Int32) -> (Int32, Int) {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) + getsockname(listener, $0, &length) }
    }
    listen(listener, backlog)
    return (listener, Int(UInt16(bigEndian: address.sin_port)))
}
