@testable import MTLS

/// The network settings taken from the environment: `GMTLS_CONNECT_TO` rules, the proxy URL of
/// `HTTPS_PROXY`, and `NO_PROXY` matched against names and IP literals. Input lines: connect-to,
/// proxy URL, NO_PROXY, a host to dial.
enum NetworkConfigTarget {
    static let hosts = ["storage.mtls.googleapis.com", "10.1.2.3", "::1", "[fd00::1]", "localhost"]

    static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self)   // environment values hold no NUL
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines += Array(repeating: "", count: max(0, 4 - lines.count))
        let hosts = Self.hosts + [lines[3]]
        if let rules = try? ConnectTo.fromEnvironment(["GMTLS_CONNECT_TO": lines[0]]) {
            for rule in rules { _ = try? ConnectTo(parsing: rule.description) }
            for host in hosts { _ = ConnectTo.target(for: host, port: 443, rules: rules) }
        }
        _ = (try? Proxy(url: lines[1]))?.description
        let settings = (try? ProxySettings.fromEnvironment(["HTTPS_PROXY": lines[1], "NO_PROXY": lines[2]]))
            ?? (try? ProxySettings.fromEnvironment(["HTTPS_PROXY": "http://proxy.example:3128", "NO_PROXY": lines[2]]))
        for host in hosts { _ = settings?.proxy(for: host, port: 443) }
    }
}
