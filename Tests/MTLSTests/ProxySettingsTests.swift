@testable import MTLS
import Testing

/// Proxy URLs, the proxy variables, and curl's NO_PROXY rules.
@Suite("Proxy settings")
struct ProxySettingsTests {
    @Test("NO_PROXY entries match as curl's do", arguments: [
        ("*", "storage.googleapis.com", 443, true),
        ("googleapis.com", "storage.googleapis.com", 443, true),
        ("googleapis.com", "googleapis.com", 443, true),
        (".googleapis.com", "storage.googleapis.com", 443, true),
        (".googleapis.com", "googleapis.com", 443, true),
        ("googleapis.com", "notgoogleapis.com", 443, false),
        ("storage.googleapis.com:443", "storage.googleapis.com", 443, true),
        ("storage.googleapis.com:8443", "storage.googleapis.com", 443, false),
        ("10.0.0.0/8", "10.1.2.3", 443, true),
        ("10.0.0.0/8", "11.1.2.3", 443, false),
        ("192.168.1.7", "192.168.1.7", 443, true),
        ("fd00::/8", "[fd12::1]", 443, true),
        ("::1", "::1", 443, true),
        ("10.0.0.0/8", "ten.example", 443, false),
        ("LOCALHOST", "localhost", 443, true),
        // Found by fuzzing: entries that are empty once brackets go crashed the CIDR parser.
        ("[]", "10.1.2.3", 443, false),
        ("[]", "storage.googleapis.com", 443, false),
        ("/8", "10.1.2.3", 443, false),
    ] as [(String, String, Int, Bool)])
    func noProxyMatching(_ entry: String, _ host: String, _ port: Int, _ expected: Bool) {
        #expect(ProxySettings.matches(entry, host: host, port: port) == expected)
    }

    @Test("proxy URLs give kind, host, port and credentials; descriptions and errors never show the password")
    func proxyURLs() throws {
        let proxy = try Proxy(url: "http://alice:s%40cret-9x@proxy.corp:3128")
        #expect(proxy.kind == .httpConnect && proxy.host == "proxy.corp" && proxy.port == 3128)
        #expect(proxy.username == "alice" && proxy.password == "s@cret-9x")
        #expect(!"\(proxy)".contains("cret"))
        #expect(try Proxy(url: "socks5h://[::1]").port == 1080)
        #expect(try Proxy(url: "https://proxy.corp").kind == .httpsConnect)
        #expect(try Proxy(url: "https://proxy.corp").port == 443)
        #expect(try Proxy(url: "proxy.corp:8080").kind == .httpConnect)
        let error = #expect(throws: TLSError.self) { try Proxy(url: "ftp://bob:hunter2@proxy:21") }
        #expect(error?.message.contains("hunter2") == false)
        #expect(error?.message.contains("<redacted>") == true)
    }

    @Test("a proxy URL with @ before its scheme separator is refused, not a crash (found by fuzzing)")
    func atSignBeforeSchemeIsRefused() {
        #expect(throws: TLSError.self) { try Proxy(url: "user@proxy://x") }
        #expect(throws: TLSError.self) { try ProxySettings.fromEnvironment(["HTTPS_PROXY": "a:b@c://d"]) }
    }

    @Test("the lower-case variable wins, HTTPS_PROXY before ALL_PROXY, and NO_PROXY exempts hosts")
    func environmentPrecedence() throws {
        let settings = try ProxySettings.fromEnvironment(["HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2",
                                                          "ALL_PROXY": "socks5h://all:3", "NO_PROXY": "localhost, .internal"])
        #expect(settings.proxy?.host == "lower")
        #expect(settings.proxy(for: "db.internal", port: 443) == nil)
        #expect(settings.proxy(for: "storage.googleapis.com", port: 443)?.host == "lower")
        #expect(try ProxySettings.fromEnvironment(["ALL_PROXY": "socks5h://all:3"]).proxy?.kind == .socks5)
        #expect(try ProxySettings.fromEnvironment([:]).proxy == nil)
        let error = #expect(throws: TLSError.self) { try ProxySettings.fromEnvironment(["HTTPS_PROXY": "gopher://x"]) }
        #expect(error?.message.hasPrefix("HTTPS_PROXY:") == true)
    }
}
