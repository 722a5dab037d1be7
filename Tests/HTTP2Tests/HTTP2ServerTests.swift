import Foundation
import HTTP2
import MTLS
import TestSupport
import Testing

/// The server role: our HTTP/2 server over GnuTLS, talking to our client over mutual TLS.
@Suite("HTTP/2 server")
struct HTTP2ServerTests {
    let pki = TestPKI.shared

    func server(_ policy: TLSServerConfiguration.ClientCertificatePolicy = .request,
                handler: @escaping HTTP2Server.Handler) async throws -> HTTP2Server {
        try await LocalServer.start(policy, handler: handler)
    }

    func client(for server: HTTP2Server, identity: ClientIdentity?) throws -> HTTPClient {
        try LocalServer.client(for: server, identity: identity)
    }

    @Test("requests reach the handler with method, path, headers, body and the verified client certificate")
    func echoesOverMutualTLS() async throws {
        let server = try await server { request in
            HTTPServerResponse(status: 201, headers: ["x-method": request.method, "x-path": request.path,
                                                      "x-host": request.host, "x-sni": request.serverName,
                                                      "x-client": request.clientCertificate?.subject ?? "none"],
                               body: request.body.reversed())
        }
        defer { Task { await server.shutdown() } }
        let client = try client(for: server, identity: try pki.client.identity())
        defer { Task { await client.shutdown() } }
        let body = Array((0..<300_000).map { UInt8($0 % 251) })
        let response = try await client.execute(HTTPRequest(method: "PUT", url: "https://storage.mtls.googleapis.com/a/b?c=d",
                                                            body: .bytes(body)))
        #expect(response.status == 201)
        #expect(response.headers.first(name: "x-method") == "PUT")
        #expect(response.headers.first(name: "x-path") == "/a/b?c=d")
        #expect(response.headers.first(name: "x-host") == "storage.mtls.googleapis.com")
        #expect(response.headers.first(name: "x-sni") == "storage.mtls.googleapis.com")
        #expect(response.headers.first(name: "x-client")?.contains("CN=test-device") == true)
        #expect(try await response.body.collect(upTo: 1 << 20) == body.reversed())
    }

    @Test("many concurrent requests share one connection")
    func concurrentRequests() async throws {
        let server = try await server { request in HTTPServerResponse(status: 200, body: Array(request.path.utf8)) }
        defer { Task { await server.shutdown() } }
        let client = try client(for: server, identity: nil)
        defer { Task { await client.shutdown() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let response = try await client.execute(HTTPRequest(url: "https://localhost/item/\(index)"))
                    #expect(String(decoding: try await response.body.collect(upTo: 1024), as: UTF8.self) == "/item/\(index)")
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("under .require a client without a certificate fails the handshake")
    func requireRefusesAnonymousClients() async throws {
        let server = try await server(.require) { _ in HTTPServerResponse(status: 200) }
        defer { Task { await server.shutdown() } }
        let client = try client(for: server, identity: nil)
        defer { Task { await client.shutdown() } }
        await #expect(throws: (any Error).self) { _ = try await client.execute(HTTPRequest(url: "https://localhost/")) }
    }

    @Test("under .request a certificate from an unknown CA is refused, while no certificate is let in")
    func requestRefusesUntrustedCertificates() async throws {
        let server = try await server(.request) { request in
            HTTPServerResponse(status: 200, body: Array((request.clientCertificate == nil ? "anonymous" : "certified").utf8))
        }
        defer { Task { await server.shutdown() } }
        let stranger = try client(for: server, identity: try pki.otherAuthority.makeClientCertificate(commonName: "x").identity())
        defer { Task { await stranger.shutdown() } }
        await #expect(throws: (any Error).self) { _ = try await stranger.execute(HTTPRequest(url: "https://localhost/")) }
        let anonymous = try client(for: server, identity: nil)
        defer { Task { await anonymous.shutdown() } }
        #expect(try await anonymous.execute(HTTPRequest(url: "https://localhost/")).body.collect(upTo: 64) == Array("anonymous".utf8))
    }

    @Test("a refused stream is retried by the client, and GOAWAY after a response moves it to a new connection")
    func faultsAreRetriedSafely() async throws {
        let calls = Counter()
        let server = try await server { request in
            let call = calls.next()
            if request.path == "/refuse" && call == 1 { return HTTPServerResponse(status: 200, fault: .refuseStream) }
            if request.path == "/goaway" { return HTTPServerResponse(status: 200, body: [1], fault: .goAwayAfterResponse) }
            return HTTPServerResponse(status: 200, body: [2])
        }
        defer { Task { await server.shutdown() } }
        let client = try client(for: server, identity: nil)
        defer { Task { await client.shutdown() } }
        #expect(try await client.execute(HTTPRequest(url: "https://localhost/refuse")).body.collect(upTo: 10) == [2])
        #expect(try await client.execute(HTTPRequest(url: "https://localhost/goaway")).body.collect(upTo: 10) == [1])
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await client.execute(HTTPRequest(url: "https://localhost/after")).body.collect(upTo: 10) == [2])
    }

    @Test("a client that chooses HTTP/1.1 (curl) is served with keep-alive, chunked bodies and 100-continue")
    func servesHTTP1() async throws {
        let identity = try ClientIdentity.pemFiles(certificate: pki.path("server.pem"), privateKey: pki.path("server.key"))
        let server = try await HTTP2Server.start(tls: TLSServerConfiguration(identity: identity, applicationProtocols: ["h2", "http/1.1"])) {
            HTTPServerResponse(status: 201, headers: ["x-host": $0.host], body: Array("\($0.method) \($0.path) \($0.body.count)".utf8))
        }
        defer { Task { await server.shutdown() } }
        let upload = try pki.scratch("h1").appendingPathComponent("body").path
        try Data(repeating: 7, count: 100_000).write(to: URL(fileURLWithPath: upload))
        let resolve = "storage.googleapis.com:\(server.port):127.0.0.1"
        let (_, text) = try await launch("/usr/bin/curl", [
            "-s", "--http1.1", "--cacert", pki.path("ca.pem"), "--resolve", resolve,
            "-H", "Transfer-Encoding: chunked", "-H", "Expect: 100-continue", "--data-binary", "@" + upload,
            "https://storage.googleapis.com:\(server.port)/up?x=1", "--next", "-s", "--http1.1", "--cacert", pki.path("ca.pem"),
            "--resolve", resolve, "-w", " %{http_version} %{http_code} %{num_connects}", "https://storage.googleapis.com:\(server.port)/again",
        ], environment: ProcessInfo.processInfo.environment)
        #expect(text == "POST /up?x=1 100000GET /again 0 1.1 201 0", "\(text)")
    }

    @Test("a dropped connection fails the request with an error that is not retry-safe")
    func droppedConnection() async throws {
        let server = try await server { _ in HTTPServerResponse(status: 200, fault: .dropConnection) }
        defer { Task { await server.shutdown() } }
        let client = try client(for: server, identity: nil)
        defer { Task { await client.shutdown() } }
        let error = await #expect(throws: HTTPClientError.self) { _ = try await client.execute(HTTPRequest(url: "https://localhost/")) }
        #expect(error?.isRetrySafe == false)
    }
}
