/// An HTTP/1.1 response head as a server sent it, and how its body is framed. Pure parsing, apart
/// from the connection, so any bytes can be tried on it (tests, the fuzzer); anything a careful
/// client must not guess at (a negative or conflicting length, a folded line) is a protocol error.
package struct HTTP1ResponseHead: Sendable {
    /// How the body of a response ends.
    package enum Framing: Sendable, Equatable {
        case none
        case length(Int)
        case chunked
        case untilClose
    }

    package let status: Int
    package let headers: HTTPHeaders

    /// The head in `bytes` (everything before the blank line) that `authority` sent.
    package static func parse(_ bytes: some Collection<UInt8>, authority: String) throws -> HTTP1ResponseHead {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = lines.first?.split(separator: " ", maxSplits: 2) ?? []
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3,
              let status = decimal(parts[1]), (100..<600).contains(status) else {
            throw HTTPClientError(.protocolError, "\(authority) did not answer with HTTP/1.1: \"\(lines.first?.prefix(80) ?? "")\"")
        }
        var fields: [(String, String)] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard let field = field(line) else {
                throw HTTPClientError(.protocolError, "\(authority) sent a malformed header line")
            }
            fields.append(field)
        }
        return HTTP1ResponseHead(status: status, headers: HTTPHeaders(fields))
    }

    /// A `name: value` line (header or trailer): the name lowercased, the value trimmed; nil when
    /// there is no colon, the name is empty or holds whitespace, or the line is folded (obsolete).
    package static func field(_ line: Substring) -> (String, String)? {
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
              !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }) else { return nil }
        return (line[..<colon].lowercased(), String(line[line.index(after: colon)...].trimmingSpaces))
    }

    /// How this response to `method` frames its body, and whether the connection stays open after it.
    package func framing(method: String, authority: String) throws -> (framing: Framing, keepAlive: Bool) {
        let keepAlive = headers.first(name: "connection")?.lowercased() != "close"
        if method == "HEAD" || status == 204 || status == 304 || status < 200 { return (.none, keepAlive) }
        if headers.first(name: "transfer-encoding")?.lowercased().contains("chunked") == true { return (.chunked, keepAlive) }
        let lengths = headers["content-length"].flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { $0.trimmingSpaces }
        guard let first = lengths.first else { return (.untilClose, false) }
        guard lengths.allSatisfy({ $0 == first }), let length = Self.decimal(first) else {
            throw HTTPClientError(.protocolError, "\(authority) sent an invalid Content-Length (\(lengths.prefix(3).joined(separator: ", ")))")
        }
        return (.length(length), keepAlive)
    }

    /// The size on a chunk-size line (`1a` or `1a;name=value`): hex digits only.
    package static func chunkSize(_ line: String, authority: String) throws -> Int {
        let digits = line.split(separator: ";", omittingEmptySubsequences: false)[0].trimmingSpaces
        guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }),
              let size = Int(digits, radix: 16) else {
            throw HTTPClientError(.protocolError, "\(authority) sent a malformed chunk size")
        }
        return size
    }

    /// A non-negative decimal of ASCII digits that fits an Int; nil otherwise ("+5", "-1", "1e3").
    private static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int(text)
    }
}

extension Substring {
    /// Without spaces and tabs at either end.
    fileprivate var trimmingSpaces: Substring {
        let isText = { (character: Character) in character != " " && character != "\t" }
        guard let first = firstIndex(where: isText), let last = lastIndex(where: isText) else { return self[endIndex...] }
        return self[first...last]
    }
}
