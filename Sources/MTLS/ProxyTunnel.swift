import FoundationEssentials

/// Opens a tunnel through a proxy over a plaintext byte stream: HTTP `CONNECT` (Basic auth) or
/// SOCKS5 (no auth or username/password; the proxy resolves the name). Errors name the proxy,
/// never its password.
struct ProxyTunnel {
    let proxy: Proxy
    let host: String
    let port: Int

    typealias Write = @Sendable ([UInt8]) async throws -> Void
    typealias Read = @Sendable () async throws -> [UInt8]

    func open(write: Write, read: @escaping Read) async throws {
        switch proxy.kind {
        case .httpConnect, .httpsConnect: try await connect(write: write, read: read)
        case .socks5: try await socks5(write: write, read: read)
        }
    }

    private var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    // MARK: HTTP CONNECT

    private func connect(write: Write, read: Read) async throws {
        var request = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\nUser-Agent: swift-google-mtls\r\n"
        if let username = proxy.username {
            let credentials = Data("\(username):\(proxy.password ?? "")".utf8).base64EncodedString()
            request += "Proxy-Authorization: Basic \(credentials)\r\n"
        }
        try await write(Array((request + "\r\n").utf8))
        var head: [UInt8] = []
        while head.firstRange(of: Array("\r\n\r\n".utf8)) == nil {
            guard head.count < 16384 else { throw failure("answered CONNECT with an oversized head") }
            head += try await read()
        }
        let statusLine = String(decoding: head.prefix { $0 != 13 }, as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw failure("did not answer CONNECT with HTTP (\"\(statusLine.prefix(80))\")")
        }
        guard head.count == (head.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? 0) || status != 200 else {
            throw failure("sent data after accepting CONNECT")
        }
        switch status {
        case 200: return
        case 407, 401:   // 407 is the standard answer; tinyproxy answers wrong credentials with 401
            throw TLSError(.proxyAuthenticationRequired, "the proxy \(proxy) answered \(statusLine): "
                           + (proxy.username == nil ? "give its user name and password in the proxy URL"
                                                    : "it did not accept the user name and password"))
        default:
            throw failure("refused the tunnel to \(authority): \(statusLine)")
        }
    }

    // MARK: SOCKS5 (RFC 1928, RFC 1929)

    private func socks5(write: Write, read: @escaping Read) async throws {
        var reader = Reader(read: read)
        let methods: [UInt8] = proxy.username == nil ? [0x00] : [0x00, 0x02]
        try await write([0x05, UInt8(methods.count)] + methods)
        let choice = try await reader.take(2)
        guard choice[0] == 0x05, choice[1] != 0xFF else { throw failure("accepts none of our SOCKS5 authentication methods") }
        if choice[1] == 0x02 {
            let user = Array((proxy.username ?? "").utf8), password = Array((proxy.password ?? "").utf8)
            guard user.count <= 255, password.count <= 255 else {
                throw TLSError(.invalidConfiguration, "the SOCKS5 proxy \(proxy) takes a user name and a password of at most 255 bytes each (RFC 1929)")
            }
            try await write([0x01, UInt8(user.count)] + user + [UInt8(password.count)] + password)
            guard try await reader.take(2)[1] == 0x00 else {
                throw TLSError(.proxyAuthenticationRequired, "the SOCKS5 proxy \(proxy) did not accept the user name and password")
            }
        }
        let name = Array(host.utf8)
        guard name.count <= 255 else { throw failure("cannot take a host name longer than 255 bytes (\(host.prefix(40))…)") }
        try await write([0x05, 0x01, 0x00, 0x03, UInt8(name.count)] + name + [UInt8(port >> 8), UInt8(port & 0xFF)])
        let reply = try await reader.take(4)
        guard reply[0] == 0x05, reply[1] == 0x00 else { throw failure("refused the tunnel to \(authority): \(Self.reason(reply[1]))") }
        let addressLength = switch reply[3] {
        case 0x01: 4
        case 0x04: 16
        default: Int(try await reader.take(1)[0])
        }
        _ = try await reader.take(addressLength + 2)   // the bound address and port
    }

    private static func reason(_ code: UInt8) -> String {
        let reasons: [UInt8: String] = [1: "general failure", 2: "not allowed by its rules", 3: "network unreachable",
                                        4: "host unreachable", 5: "connection refused", 6: "TTL expired",
                                        7: "command not supported", 8: "address type not supported"]
        return reasons[code] ?? "error \(code)"
    }

    private func failure(_ what: String) -> TLSError {
        TLSError(.proxyFailed, "the proxy \(proxy) \(what)")
    }

    /// Exactly-sized reads over a stream that delivers what it has.
    private struct Reader {
        let read: Read
        var buffer: [UInt8] = []

        mutating func take(_ count: Int) async throws -> [UInt8] {
            while buffer.count < count { buffer += try await read() }
            defer { buffer.removeFirst(count) }
            return Array(buffer.prefix(count))
        }
    }
}
