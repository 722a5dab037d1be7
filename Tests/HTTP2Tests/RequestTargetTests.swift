@testable import HTTP2
import Testing

/// `HTTPRequest.target()`: the host, port and path sent, read from the URL without Foundation.
@Suite("Request targets")
struct RequestTargetTests {
    static func target(_ url: String) throws -> HTTPRequest.Target { try HTTPRequest(url: url).target() }

    @Test("host, port and path with query; fragment and user info left out; host lowercased")
    func parts() throws {
        #expect(try Self.target("https://Example.COM/a/b?x=1&y=%20z#frag")
                == .init(host: "example.com", port: 443, path: "/a/b?x=1&y=%20z"))
        #expect(try Self.target("https://localhost:8443/small") == .init(host: "localhost", port: 8443, path: "/small"))
        #expect(try Self.target("HTTPS://user:pw@host:1") == .init(host: "host", port: 1, path: "/"))
        #expect(try Self.target("https://host?q") == .init(host: "host", port: 443, path: "/?q"))
        #expect(try Self.target("https://host:/p") == .init(host: "host", port: 443, path: "/p"))
        #expect(try Self.target("https://[::1]:8443/v1/b") == .init(host: "[::1]", port: 8443, path: "/v1/b"))
        #expect(try Self.target("https://127.0.0.1") == .init(host: "127.0.0.1", port: 443, path: "/"))
        #expect(try Self.target("https://storage.mtls.googleapis.com/storage/v1/b/o%2Fx?alt=media").path
                == "/storage/v1/b/o%2Fx?alt=media")
    }

    @Test("malformed URLs are invalidRequest errors", arguments: [
        "", "localhost:8443/x", "//host/x", "https:/host", "https://", "https:///path", "https://host:port/",
        "https://host:65536/", "https://host:123456/", "https://ho st/", "https://host/a b", "https://host/%zz",
        "https://host/%4", "https://[::1/", "https://[]/", "https://h[o]st/", "https://host/[x]", "https://hóst/",
        "ht tps://host/", "https://host/\u{7f}",
    ])
    func malformed(url: String) {
        let error = #expect(throws: HTTPClientError.self) { try Self.target(url) }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("not an absolute URL") == true)
    }

    @Test("other schemes are refused as not https", arguments: ["http://host/", "ftp://host/x", "wss://host:443"])
    func notHTTPS(url: String) {
        let error = #expect(throws: HTTPClientError.self) { try Self.target(url) }
        #expect(error?.message.contains("not an https URL") == true)
    }
}
