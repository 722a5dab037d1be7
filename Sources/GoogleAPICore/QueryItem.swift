import MTLS

/// One query parameter; a repeated parameter is one item per value.
public struct QueryItem: Sendable, Hashable {
    public let name: String
    public let value: String

    /// A parameter `name=value` (percent-encoded when sent).
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// `?a=1&b=2`, or "" without items.
    static func encode(_ items: [QueryItem]) -> String {
        items.isEmpty ? "" : "?" + items.map { "\(PercentEncoding.encode($0.name))=\(PercentEncoding.encode($0.value))" }
            .joined(separator: "&")
    }
}

/// Discovery path templates: `{name}` is percent-encoded, `{+name}` keeps `/` (RFC 6570 reserved expansion).
enum PathTemplate {
    static func expand(_ template: String, _ parameters: [String: String]) throws -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            output += rest[..<open]
            var name = rest[rest.index(after: open)..<close]
            let reserved = name.hasPrefix("+")
            if reserved { name = name.dropFirst() }
            guard let value = parameters[String(name)] else {
                throw GoogleAPIError(status: 0, code: "INVALID_ARGUMENT", message: "the path parameter \(name) is missing")
            }
            output += reserved ? value.split(separator: "/", omittingEmptySubsequences: false)
                .map { PercentEncoding.encode(String($0)) }.joined(separator: "/") : PercentEncoding.encode(value)
            rest = rest[rest.index(after: close)...]
        }
        return output + rest
    }
}
