import HTTP2
import Testing

/// HTTP/1.1 response heads: what frames the body is read strictly, so a hostile server's
/// negative or conflicting length is a protocol error instead of a crash or a guess. The first two
/// cases crashed the client (a negative prefix length) before the parser was fuzzed.
@Suite("HTTP/1.1 response head")
struct HTTP1ResponseHeadTests {
    static func head(_ text: String) throws -> HTTP1ResponseHead {
        try HTTP1ResponseHead.parse(Array(text.utf8), authority: "test")
    }

    static func framing(_ fields: String, method: String = "GET") throws -> HTTP1ResponseHead.Framing {
        try head("HTTP/1.1 200 OK\r\n" + fields).framing(method: method, authority: "test").framing
    }

    @Test("a negative Content-Length is a protocol error")
    func negativeContentLengthIsRefused() {
        #expect(throws: HTTPClientError.self) { try Self.framing("content-length: -1") }
    }

    @Test("a negative chunk size is a protocol error")
    func negativeChunkSizeIsRefused() {
        #expect(throws: HTTPClientError.self) { try HTTP1ResponseHead.chunkSize("-5", authority: "test") }
    }

    @Test("Content-Length must be ASCII digits that agree with each other", arguments: [
        "content-length: +5", "content-length: 5\r\ncontent-length: 6", "content-length: 5, 6", "content-length: 1e3",
        "content-length: 99999999999999999999999", "content-length: ",
    ])
    func malformedContentLengthIsRefused(fields: String) {
        #expect(throws: HTTPClientError.self) { try Self.framing(fields) }
    }

    @Test("repeated equal Content-Lengths, chunked, HEAD and a missing length frame as RFC 9112 says")
    func framingFollowsRFC9112() throws {
        #expect(try Self.framing("content-length: 5, 5\r\ncontent-length: 5") == .length(5))
        #expect(try Self.framing("transfer-encoding: gzip, chunked\r\ncontent-length: 7") == .chunked)
        #expect(try Self.framing("content-length: 7", method: "HEAD") == HTTP1ResponseHead.Framing.none)
        #expect(try Self.framing("x: y") == .untilClose)
        #expect(try Self.head("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1").framing(method: "GET", authority: "t").keepAlive == false)
    }

    @Test("chunk sizes are hex digits with optional extensions", arguments: [("1a", 26), ("0", 0), ("FF;name=value", 255), (" 10 ", 16)])
    func chunkSizesParse(line: String, size: Int) throws {
        #expect(try HTTP1ResponseHead.chunkSize(line, authority: "test") == size)
    }

    @Test("a chunk size that is not hex, or does not fit, is refused", arguments: ["", "0x10", "g", "1 2", "ffffffffffffffff"])
    func malformedChunkSizesAreRefused(line: String) {
        #expect(throws: HTTPClientError.self) { try HTTP1ResponseHead.chunkSize(line, authority: "test") }
    }

    @Test("status lines and header lines that are not HTTP/1.1 are refused", arguments: [
        "HTTP/2 200 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 -20 OK", "HTTP/1.1 099 OK", "ICY 200 OK",
        "HTTP/1.1 200 OK\r\nno colon here", "HTTP/1.1 200 OK\r\n folded: line", "HTTP/1.1 200 OK\r\nbad name: x", "HTTP/1.1 200 OK\r\n: empty",
    ])
    func malformedHeadsAreRefused(text: String) {
        #expect(throws: HTTPClientError.self) { try Self.head(text) }
    }

    @Test("field names are lowercased and values trimmed")
    func fieldsAreNormalised() throws {
        let head = try Self.head("HTTP/1.1 404 Not Found\r\nContent-Type: \t text/plain \t\r\nX-Empty:")
        #expect(head.status == 404)
        #expect(head.headers.first(name: "content-type") == "text/plain")
        #expect(head.headers.first(name: "x-empty") == "")
    }
}
