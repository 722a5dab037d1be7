@testable import HTTP2

/// Response header handling: an HTTP/1.1 head and its framing, chunk-size and trailer lines after
/// it, and the same fields given to an HTTP/2 stream as nghttp2 would hand them over.
enum ResponseHeadTarget {
    static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: "\r\n\r\n", maxSplits: 1, omittingEmptySubsequences: false)
        if let head = try? HTTP1ResponseHead.parse(Array(parts[0].utf8), authority: "fuzz") {
            for method in ["GET", "HEAD"] { _ = try? head.framing(method: method, authority: "fuzz") }
        }
        for line in parts.dropFirst().flatMap({ $0.split(separator: "\r\n") }) {
            _ = try? HTTP1ResponseHead.chunkSize(String(line), authority: "fuzz")
            _ = HTTP1ResponseHead.field(line)
        }
        let stream = HTTP2Stream(authority: "fuzz")
        for line in text.split(separator: "\n") {
            let field = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard stream.header(name: String(field[0]), value: field.count > 1 ? String(field[1]) : "") else { break }
            if line.hasPrefix(":status") { stream.headersEnded() }
        }
        stream.headersEnded()
    }
}
