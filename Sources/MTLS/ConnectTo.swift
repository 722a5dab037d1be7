import FoundationEssentials

/// Sends connections for one host and port to another address, like curl's `--connect-to`.
///
/// SNI and certificate checks still use the original name: `storage.mtls.googleapis.com:443`
/// can be served by a local emulator at `127.0.0.1:8443` with real host-name verification.
public struct ConnectTo: Sendable, Hashable, CustomStringConvertible {
    /// The host this rule applies to; nil matches every host.
    public var host: String?
    /// The port this rule applies to; nil matches every port.
    public var port: Int?
    /// The host to dial instead; nil keeps the original.
    public var targetHost: String?
    /// The port to dial instead; nil keeps the original.
    public var targetPort: Int?

    /// A rule from its parts; nil parts match anything or keep the original.
    public init(host: String?, port: Int?, targetHost: String?, targetPort: Int?) {
        self.host = host
        self.port = port
        self.targetHost = targetHost
        self.targetPort = targetPort
    }

    /// The variable whose rules every `HTTPClient` adds after its configured ones, so an
    /// unchanged app can be pointed at a local emulator: curl's syntax, rules separated by commas
    /// or spaces, e.g. `GMTLS_CONNECT_TO=::127.0.0.1:8443`.
    public static let environmentVariable = "GMTLS_CONNECT_TO"

    /// The rules in `GMTLS_CONNECT_TO` (none when unset); a bad rule is an error naming the variable.
    public static func fromEnvironment() throws -> [ConnectTo] {
        try fromEnvironment(Environment.values([environmentVariable]))
    }

    /// The rules in `GMTLS_CONNECT_TO` as `variables` has it.
    public static func fromEnvironment(_ variables: [String: String]) throws -> [ConnectTo] {
        guard let value = variables[environmentVariable] else { return [] }
        do {
            return try value.split(whereSeparator: { $0 == "," || $0 == " " }).map { try ConnectTo(parsing: String($0)) }
        } catch let error as TLSError {
            throw TLSError(.invalidConfiguration, "\(environmentVariable): \(error.message)")
        }
    }

    /// Parses curl's syntax `HOST1:PORT1:HOST2:PORT2`, each part optional; IPv6 in brackets.
    public init(parsing text: String) throws {
        let parts = try ConnectTo.split(text)
        guard parts.count == 4 else {
            throw TLSError(.invalidConfiguration, "connect-to rule \"\(text)\" must have the form "
                           + "HOST1:PORT1:HOST2:PORT2 (e.g. storage.mtls.googleapis.com:443:127.0.0.1:8443)")
        }
        func port(_ part: String) throws -> Int? {
            if part.isEmpty { return nil }
            guard let value = Int(part), (1...65535).contains(value) else {
                throw TLSError(.invalidConfiguration, "connect-to rule \"\(text)\" has the invalid port \"\(part)\"")
            }
            return value
        }
        self.init(host: parts[0].isEmpty ? nil : parts[0], port: try port(parts[1]),
                  targetHost: parts[2].isEmpty ? nil : parts[2], targetPort: try port(parts[3]))
    }

    private static func split(_ text: String) throws -> [String] {
        var parts: [String] = []
        var current = ""
        var inBrackets = false
        for character in text {
            switch character {
            case "[": inBrackets = true
            case "]": inBrackets = false
            case ":" where !inBrackets: parts.append(current); current = ""; continue
            default: break
            }
            if character != "[" && character != "]" { current.append(character) }
        }
        parts.append(current)
        return parts
    }

    /// Where to dial for `host:port` under these rules: the first rule that matches wins.
    public static func target(for host: String, port: Int, rules: [ConnectTo]) -> (host: String, port: Int) {
        for rule in rules where rule.matches(host: host, port: port) {
            return (rule.targetHost ?? host, rule.targetPort ?? port)
        }
        return (host, port)
    }

    func matches(host: String, port: Int) -> Bool {
        (self.host == nil || self.host!.lowercased() == host.lowercased()) && (self.port == nil || self.port == port)
    }

    public var description: String {
        func bracket(_ host: String?) -> String {
            guard let host else { return "" }
            return host.contains(":") ? "[\(host)]" : host
        }
        return "\(bracket(host)):\(port.map(String.init) ?? ""):\(bracket(targetHost)):\(targetPort.map(String.init) ?? "")"
    }
}
