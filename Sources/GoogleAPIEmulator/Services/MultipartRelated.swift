/// Parsing of `multipart/related` bodies (Cloud Storage multipart uploads).
enum MultipartRelated {
    /// One part: its headers (lowercased names) and bytes.
    struct Part: Sendable {
        var headers: [String: String]
        var body: [UInt8]
    }

    /// The boundary of a `multipart/related; boundary=...` content type, quotes removed.
    static func boundary(contentType: String) -> String? {
        let fields = contentType.split(separator: ";")
        guard fields.first?.trimmingSpaces.lowercased() == "multipart/related" else { return nil }
        for field in fields.dropFirst() {
            let pair = field.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingSpaces.lowercased() == "boundary" else { continue }
            let value = pair[1].trimmingSpaces
            let unquoted = value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2
                ? String(value.dropFirst().dropLast()) : value
            return unquoted.isEmpty ? nil : unquoted
        }
        return nil
    }

    /// The parts of `body` (CRLF line endings); nil when the delimiters are missing or unterminated.
    static func parse(_ body: [UInt8], boundary: String) -> [Part]? {
        let delimiter = Array("--\(boundary)".utf8)
        let separator: [UInt8] = [13, 10] + delimiter
        guard var index = find(delimiter, in: body, from: 0).map({ $0 + delimiter.count }) else { return nil }
        var parts: [Part] = []
        while !body[index...].starts(with: [45, 45]) {
            guard let lineEnd = find([13, 10], in: body, from: index),
                let next = find(separator, in: body, from: lineEnd)
            else { return nil }
            parts.append(part(Array(body[(lineEnd + 2)..<max(lineEnd + 2, next)])))
            index = next + separator.count
        }
        return parts
    }

    /// Splits a part's text into headers and body at the first empty line.
    private static func part(_ content: [UInt8]) -> Part {
        if content.starts(with: [13, 10]) { return Part(headers: [:], body: Array(content.dropFirst(2))) }
        guard let split = find([13, 10, 13, 10], in: content, from: 0) else {
            return Part(headers: headers(content), body: [])
        }
        return Part(headers: headers(Array(content[..<split])), body: Array(content[(split + 4)...]))
    }

    private static func headers(_ block: [UInt8]) -> [String: String] {
        var headers: [String: String] = [:]
        for line in String(decoding: block, as: UTF8.self).split(separator: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1)
            if pair.count == 2 { headers[pair[0].trimmingSpaces.lowercased()] = pair[1].trimmingSpaces }
        }
        return headers
    }

    /// The first index at or after `start` where `needle` occurs in `haystack`.
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count
        else { return nil }
        for index in start...(haystack.count - needle.count)
        where haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}
