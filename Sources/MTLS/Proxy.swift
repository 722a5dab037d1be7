import FoundationEssentials
import Glibc

/// A proxy the TCP connection goes through; TLS (and the client certificate) stays end to end,
/// inside the tunnel: the proxy never sees either.
public struct Proxy: Sendable, Hashable, CustomStringConvertible {
    /// How the tunnel is asked for.
    public enum Kind: String, Sendable, Hashable {
        /// HTTP `CONNECT` (an `http://` proxy URL), with Basic authentication when credentials are given.
        case httpConnect
        /// HTTP `CONNECT` over TLS to the proxy (an `https://` proxy URL, verified against the same
        /// trust roots); the end-to-end TLS session then runs inside that one.
        case httpsConnect
        /// SOCKS5 (`socks5h://`; `socks5://` too), the target's name resolved by the proxy, with
        /// username/password authentication when credentials are given.
        case socks5
    }

    public var kind: Kind
    public var host: String
    public var port: Int
    /// User name and password for the proxy; never shown in errors or descriptions.
    public var username: String?
    public var password: String?

    /// A proxy at `host:port`.
    public init(kind: Kind, host: String, port: Int, username: String? = nil, password: String? = nil) {
        self.kind = kind
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// A proxy from its URL: `http://[user:password@]host[:port]` (port 1080 by default, as curl),
    /// `https://…` (443), or `socks5h://…` / `socks5://…` (1080). Other schemes are an error naming
    /// the URL without its password.
    public init(url text: String) throws {
        let withScheme = text.contains("://") ? text : "http://" + text
        guard let url = URLComponents(string: withScheme), let host = url.host, !host.isEmpty else {
            throw TLSError(.invalidConfiguration, "the proxy \"\(Proxy.redacted(text))\" is not a URL")
        }
        switch url.scheme?.lowercased() {
        case "http": kind = .httpConnect
        case "https": kind = .httpsConnect
        case "socks5", "socks5h": kind = .socks5
        default:
            throw TLSError(.invalidConfiguration, "the proxy \(Proxy.redacted(text)) uses \(url.scheme ?? "no scheme"): "
                           + "supported are http:// and https:// (CONNECT) and socks5h:// (SOCKS5)")
        }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        port = url.port ?? (kind == .httpsConnect ? 443 : 1080)
        username = url.user.map(PercentEncoding.decode)
        password = url.password.map(PercentEncoding.decode)
    }

    public var description: String {
        "\(kind == .httpConnect ? "http" : kind == .httpsConnect ? "https" : "socks5h")://\(username.map { "\($0)@" } ?? "")\(host):\(port)"
    }

    /// `text` with any password in it replaced.
    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let scheme = text.firstRange(of: "://"), scheme.upperBound <= at,
              let colon = text[scheme.upperBound..<at].firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":<redacted>" + text[at...]
    }
}

/// Which proxy, if any, a connection uses: the configured one, else `HTTPS_PROXY` / `https_proxy`
/// / `ALL_PROXY` / `all_proxy`, unless `NO_PROXY` / `no_proxy` exempts the host, with curl's rules.
public struct ProxySettings: Sendable, Hashable {
    /// The proxy for https connections (nil: direct).
    public var proxy: Proxy?
    /// NO_PROXY entries: `*`, host names (suffix match; a leading dot is the same), `host:port`,
    /// IP addresses and CIDR blocks for IP literals.
    public var noProxy: [String]

    /// Explicit settings.
    public init(proxy: Proxy?, noProxy: [String] = []) {
        self.proxy = proxy
        self.noProxy = noProxy
    }

    /// The variables `fromEnvironment` reads.
    static let environmentVariables = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"]

    /// From the environment, like curl (lower-case names first); a bad URL is an error naming the variable.
    public static func fromEnvironment() throws -> ProxySettings {
        try fromEnvironment(Environment.values(environmentVariables))
    }

    /// From `variables` as `fromEnvironment()` reads the environment.
    public static func fromEnvironment(_ variables: [String: String]) throws -> ProxySettings {
        let names = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
        guard let name = names.first(where: { !(variables[$0] ?? "").isEmpty }), let value = variables[name] else {
            return ProxySettings(proxy: nil)
        }
        let proxy: Proxy
        do {
            proxy = try Proxy(url: value)
        } catch let error as TLSError {
            throw TLSError(.invalidConfiguration, "\(name): \(error.message)")
        }
        let exemptions = variables["no_proxy"] ?? variables["NO_PROXY"] ?? ""
        return ProxySettings(proxy: proxy, noProxy: exemptions.split(separator: ",").map { String($0).trimmed }
            .filter { !$0.isEmpty })
    }

    /// The proxy for `host:port`, or nil when there is none or NO_PROXY exempts it.
    public func proxy(for host: String, port: Int) -> Proxy? {
        guard let proxy, !noProxy.contains(where: { Self.matches($0, host: host, port: port) }) else { return nil }
        return proxy
    }

    /// curl's NO_PROXY matching for one entry.
    static func matches(_ entry: String, host: String, port: Int) -> Bool {
        if entry == "*" { return true }
        var pattern = entry.lowercased()
        let name = String(host.lowercased().filter { $0 != "[" && $0 != "]" })
        if let colon = pattern.lastIndex(of: ":"), !pattern.contains("/"), pattern.filter({ $0 == ":" }).count == 1 {
            guard Int(pattern[pattern.index(after: colon)...]) == port else { return false }
            pattern = String(pattern[..<colon])
        }
        pattern = pattern.filter { $0 != "[" && $0 != "]" }
        guard !pattern.isEmpty else { return false }
        if let address = IPAddress(name) {
            return CIDR(pattern).map { $0.contains(address) } ?? (IPAddress(pattern) == address)
        }
        if pattern.hasPrefix(".") { pattern.removeFirst() }
        return name == pattern || name.hasSuffix("." + pattern)
    }
}

/// An IP block such as `10.0.0.0/8` or `fd00::/8` (a bare address is a /32 or /128).
struct CIDR {
    let network: [UInt8]
    let bits: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let network = IPAddress(String(parts[0])) else { return nil }
        let bits = parts.count == 2 ? Int(parts[1]) : network.count * 8
        guard let bits, (0...network.count * 8).contains(bits) else { return nil }
        self.network = network
        self.bits = bits
    }

    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == network.count else { return false }
        for bit in 0..<bits {
            let mask = UInt8(0x80) >> (bit % 8)
            if address[bit / 8] & mask != network[bit / 8] & mask { return false }
        }
        return true
    }
}
