import HTTP2
import MTLS
import TestSupport
import Testing

/// Requests through real proxies on loopback: tinyproxy (HTTP CONNECT) and a SOCKS5 server. The
/// server requires a client certificate, so every passing request proves the certificate went
/// end to end through the tunnel.
@Suite("Proxies")
struct ProxyTests {
    static func server() async throws -> HTTP2Server {
        try await LocalServer.start(.require) { request in
            HTTPServerResponse(status: 200, body: Array("\(request.clientCertificate?.subject ?? "none")".utf8))
        }
    }

    func client(_ server: HTTP2Server, proxy: Proxy, connectTo: Bool = true) throws -> HTTPClient {
        try LocalServer.client(for: server, identity: try TestPKI.shared.client.identity()) { configuration in
            configuration.proxy = ProxySettings(proxy: proxy)
            if !connectTo { configuration.connectTo = [] }
        }
    }

    @Test("through tinyproxy's CONNECT, with and without Basic authentication")
    func httpConnect() async throws {
        let server = try await Self.server()
        defer { Task { await server.shutdown() } }
        for credentials in [nil, ("alice", "open-sesame-4f")] as [(String, String)?] {
            let proxy = try await ProxyPeers.tinyproxy(credentials: credentials.map { ($0.0, $0.1) })
            defer { proxy.stop() }
            let client = try client(server, proxy: Proxy(kind: .httpConnect, host: "127.0.0.1", port: proxy.port,
                                                         username: credentials?.0, password: credentials?.1))
            defer { Task { await client.shutdown() } }
            let response = try await client.execute(HTTPRequest(url: "https://storage.googleapis.com/through-proxy"))
            #expect(String(decoding: try await response.body.collect(upTo: 200), as: UTF8.self).contains("CN=test-device"))
        }
    }

    @Test("a proxy that wants credentials (or others) answers 407: a typed error that never shows the password")
    func proxyAuthenticationRequired() async throws {
        let server = try await Self.server()
        defer { Task { await server.shutdown() } }
        let proxy = try await ProxyPeers.tinyproxy(credentials: ("alice", "open-sesame-4f"))
        defer { proxy.stop() }
        for password in [nil, "wrong-guess-77"] as [String?] {
            let client = try client(server, proxy: Proxy(kind: .httpConnect, host: "127.0.0.1", port: proxy.port,
                                                         username: password.map { _ in "alice" }, password: password))
            defer { Task { await client.shutdown() } }
            let error = await #expect(throws: TLSError.self) {
                _ = try await client.execute(HTTPRequest(url: "https://storage.googleapis.com/x"))
            }
            #expect(error?.code == .proxyAuthenticationRequired)
            #expect(error?.message.contains("127.0.0.1:\(proxy.port)") == true)
            #expect(error?.message.contains("wrong-guess") == false)
        }
    }

    @Test("through SOCKS5 with the name resolved by the proxy, with and without username and password")
    func socks5RemoteDNS() async throws {
        let server = try await Self.server()
        defer { Task { await server.shutdown() } }
        for credentials in [nil, ("bob", "pa55-word-1c")] as [(String, String)?] {
            let proxy = try await ProxyPeers.socks5(credentials: credentials.map { ($0.0, $0.1) })
            defer { proxy.stop() }
            let client = try client(server, proxy: Proxy(kind: .socks5, host: "127.0.0.1", port: proxy.port,
                                                         username: credentials?.0, password: credentials?.1), connectTo: false)
            defer { Task { await client.shutdown() } }
            let response = try await client.execute(HTTPRequest(url: "https://localhost:\(server.port)/socks"))
            #expect(String(decoding: try await response.body.collect(upTo: 200), as: UTF8.self).contains("CN=test-device"))
            #expect(proxy.log.contains("CONNECT domain localhost:\(server.port)"))
        }
    }

    @Test("a SOCKS5 password longer than RFC 1929's 255 bytes is a configuration error, not a crash")
    func socks5LongPasswordIsRefused() async throws {
        let server = try await Self.server()
        defer { Task { await server.shutdown() } }
        let proxy = try await ProxyPeers.socks5(credentials: ("bob", "pa55-word-1c"))
        defer { proxy.stop() }
        let password = String(repeating: "p", count: 300)
        let client = try client(server, proxy: Proxy(kind: .socks5, host: "127.0.0.1", port: proxy.port,
                                                     username: "bob", password: password), connectTo: false)
        defer { Task { await client.shutdown() } }
        let error = await #expect(throws: TLSError.self) {
            try await client.execute(HTTPRequest(url: "https://localhost:\(server.port)/socks"))
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(password) == false)
    }

    @Test("through an HTTPS proxy: TLS to the proxy, CONNECT inside it, and the end-to-end TLS inside that")
    func httpsProxy() async throws {
        let server = try await Self.server()
        defer { Task { await server.shutdown() } }
        for credentials in [nil, ("carol", "tls-pass-8d")] as [(String, String)?] {
            let proxy = try await ProxyPeers.https(credentials: credentials.map { ($0.0, $0.1) })
            defer { proxy.stop() }
            let client = try client(server, proxy: Proxy(kind: .httpsConnect, host: "localhost", port: proxy.port,
                                                         username: credentials?.0, password: credentials?.1))
            defer { Task { await client.shutdown() } }
            for index in 0..<3 {   // several requests and a sizeable body through both layers of TLS
                let response = try await client.execute(HTTPRequest(method: "POST", url: "https://storage.googleapis.com/tls-in-tls/\(index)",
                                                                    body: .bytes([UInt8](repeating: 7, count: 300_000))))
                #expect(String(decoding: try await response.body.collect(upTo: 200), as: UTF8.self).contains("CN=test-device"))
            }
            #expect(proxy.log.contains("CONNECT 127.0.0.1:\(server.port)"))
        }
        let proxy = try await ProxyPeers.https(credentials: ("carol", "tls-pass-8d"))
        defer { proxy.stop() }
        let anonymous = try client(server, proxy: Proxy(kind: .httpsConnect, host: "localhost", port: proxy.port))
        defer { Task { await anonymous.shutdown() } }
        let error = await #expect(throws: TLSError.self) { _ = try await anonymous.execute(HTTPRequest(url: "https://storage.googleapis.com/x")) }
        #expect(error?.code == .proxyAuthenticationRequired)
    }

    @Test("a proxy that is not there is an error naming the proxy")
    func proxyRefused() async throws {
        let server = try await Self.server()
        defer { Task { await server.shutdown() } }
        let port = try freeLoopbackPort()
        let client = try client(server, proxy: Proxy(kind: .httpConnect, host: "127.0.0.1", port: port))
        defer { Task { await client.shutdown() } }
        let error = await #expect(throws: TLSError.self) { _ = try await client.execute(HTTPRequest(url: "https://storage.googleapis.com/x")) }
        #expect(error?.code == .connectionRefused)
        #expect(error?.message.contains("the proxy http://127.0.0.1:\(port)") == true)
    }
}
