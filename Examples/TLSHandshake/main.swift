// Opens a mutual-TLS connection to a local server and prints what was negotiated.
//
// Makes a throwaway CA, a server certificate for storage.mtls.googleapis.com and a client
// certificate in-process, starts `gnutls-serv` requiring a client certificate, dials it through a
// connect-to rule (SNI and verification keep the real name), and proves the server accepted our
// certificate by an echo round trip. Run with `make demo` or `swift run tls-handshake`.
import Foundation
import MTLS

let serverName = "storage.mtls.googleapis.com"

func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    try withUnsafeMutablePointer(to: &address) { pointer in
        try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            guard bind(fd, $0, length) == 0, getsockname(fd, $0, &length) == 0 else {
                throw TLSError(.ioError, "cannot find a free loopback port")
            }
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

func startServer(directory: URL, port: Int) throws -> Process {
    let server = Process()
    server.executableURL = URL(fileURLWithPath: "/usr/bin/gnutls-serv")
    server.arguments = ["--echo", "--port", String(port), "--x509certfile", directory.appendingPathComponent("server.pem").path,
                        "--x509keyfile", directory.appendingPathComponent("server.key").path,
                        "--x509cafile", directory.appendingPathComponent("ca.pem").path,
                        "--require-client-cert", "--verify-client-cert", "--alpn", "h2", "--alpn-fatal"]
    server.standardOutput = FileHandle.nullDevice
    server.standardError = FileHandle.nullDevice
    try server.run()
    return server
}

func waitForListener(port: Int) async throws {
    for _ in 0..<100 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        close(fd)
        if connected == 0 { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TLSError(.connectTimeout, "gnutls-serv did not start listening on 127.0.0.1:\(port)")
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-handshake-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

let authority = try CertificateAuthority(commonName: "demo CA")
try Data(authority.certificatePEM.utf8).write(to: directory.appendingPathComponent("ca.pem"))
try authority.makeServerCertificate(dnsNames: [serverName, "*.mtls.googleapis.com"])
    .write(certificateTo: directory.appendingPathComponent("server.pem").path,
           keyTo: directory.appendingPathComponent("server.key").path)
let client = try authority.makeClientCertificate(commonName: "demo-device")

let port = try freeLoopbackPort()
let server = try startServer(directory: directory, port: port)
defer { server.terminate(); server.waitUntilExit() }
try await waitForListener(port: port)

let configuration = TLSConfiguration(trustRoots: .pem(Array(authority.certificatePEM.utf8)),
                                     clientIdentity: try client.identity())
let connection = try await TLSConnection.connect(
    host: serverName, port: 443, configuration: configuration,
    connectTo: [ConnectTo(parsing: "\(serverName):443:127.0.0.1:\(port)")])
let info = await connection.info!
print("connected to \(info.serverName) via \(info.remoteAddress)")
print("  TLS version:      \(info.protocolVersion)")
print("  cipher suite:     \(info.cipherSuite)")
print("  ALPN:             \(info.applicationProtocol ?? "none")")
print("  server chain:")
for (index, certificate) in info.peerCertificates.enumerated() {
    print("    [\(index)] \(certificate.subject)  (issuer \(certificate.issuer), expires \(certificate.notAfter))")
}
print("  server asked for a client certificate: \(info.clientCertificateRequested ? "yes" : "no")")
print("  client certificate sent: \(info.clientCertificate?.subject ?? "none")")
let probe = Array("ping\n".utf8)
try await connection.write(probe)
var echoed: [UInt8] = []
while echoed.count < probe.count {
    let chunk = try await connection.read()
    if chunk.isEmpty { break }
    echoed += chunk
}
print(echoed == probe ? "client certificate accepted (the server answered over the mutual-TLS session)"
                      : "unexpected answer from the server")
await connection.close()
