import MTLS

/// One accepted connection whose client chose HTTP/1.1 (by ALPN, or by offering none): requests
/// are read one after another (keep-alive), bodies by Content-Length or chunked, and answered by
/// the same handler as HTTP/2 requests.
struct HTTP1ServerConnection {
    let tls: TLSConnection
    let handler: HTTP2Server.Handler
    /// Request heads larger than this are refused (431) and the connection closed.
    static let headLimit = 64 * 1024

    /// Serves until the client closes, asks to close, or breaks the protocol.
    func run() async {
        let info = await tls.info
        var reader = Reader(tls: tls)
        while let head = try? await reader.head(limit: Self.headLimit) {
            guard let parsed = Head(head) else {
                try? await write(HTTPServerResponse(status: 400, body: Array("malformed request\n".utf8)), keepAlive: false)
                break
            }
            if parsed.headers.first(name: "expect")?.lowercased() == "100-continue" {
                try? await tls.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            guard let body = try? await reader.body(for: parsed, limit: NGHTTP2ServerSession.bodyLimit) else { break }
            let request = HTTPServerRequest(method: parsed.method, path: parsed.target,
                                            authority: parsed.headers.first(name: "host") ?? "", headers: parsed.headers,
                                            body: body, clientCertificate: info?.clientCertificate,
                                            serverName: info?.serverName ?? "", remoteAddress: info?.remoteAddress ?? "")
            // Off the event loop, as for HTTP/2: the handler may compute for a while.
            let response = await Task(executorPreference: globalConcurrentExecutor) { await handler(request) }.value
            if response.fault == .dropConnection { await tls.abort(); return }
            let keepAlive = parsed.keepAlive && response.fault == nil
            let answer = response.fault == .refuseStream ? HTTPServerResponse(status: 503, body: Array("refused\n".utf8)) : response
            guard (try? await write(answer, keepAlive: keepAlive)) != nil, keepAlive else { break }
        }
        await tls.close()
    }

    private func write(_ response: HTTPServerResponse, keepAlive: Bool) async throws {
        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        for (name, value) in response.headers where name != "content-length" && name != "connection" {
            head += "\(name): \(value)\r\n"
        }
        head += "content-length: \(response.body.count)\r\nconnection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        try await tls.write(Array(head.utf8) + response.body)
    }

    static func reason(_ status: Int) -> String {
        let reasons = [100: "Continue", 200: "OK", 201: "Created", 204: "No Content", 206: "Partial Content",
                       304: "Not Modified", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized",
                       403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
                       412: "Precondition Failed", 413: "Content Too Large", 416: "Range Not Satisfiable",
                       429: "Too Many Requests", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
                       503: "Service Unavailable"]
        return reasons[status] ?? "Status \(status)"
    }

    /// The request line and header fields.
    struct Head {
        let method: String
        let target: String
        let headers: HTTPHeaders
        let keepAlive: Bool
        let chunked: Bool
        let contentLength: Int?

        init?(_ bytes: [UInt8]) {
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
            let parts = lines.first?.split(separator: " ") ?? []
            guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return nil }
            var fields: [(String, String)] = []
            for line in lines.dropFirst() where !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { return nil }
                fields.append((line[..<colon].lowercased(),
                               String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" })))
            }
            method = String(parts[0])
            target = String(parts[1])
            headers = HTTPHeaders(fields)
            let connection = headers.first(name: "connection")?.lowercased() ?? ""
            keepAlive = parts[2] == "HTTP/1.1" ? connection != "close" : connection == "keep-alive"
            chunked = headers.first(name: "transfer-encoding")?.lowercased().contains("chunked") == true
            contentLength = headers.first(name: "content-length").flatMap { Int($0) }
        }
    }

    /// Buffered reads from the TLS connection.
    struct Reader {
        let tls: TLSConnection
        var buffer: [UInt8] = []

        /// Bytes up to the blank line ending a head (without it); nil at a clean end or beyond `limit`.
        mutating func head(limit: Int) async throws -> [UInt8]? {
            while true {
                if let end = buffer.firstRange(of: Array("\r\n\r\n".utf8)) {
                    defer { buffer.removeFirst(end.upperBound) }
                    return Array(buffer[..<end.lowerBound])
                }
                guard buffer.count < limit, try await fill() else { return nil }
            }
        }

        mutating func body(for head: Head, limit: Int) async throws -> [UInt8]? {
            if head.chunked { return try await chunked(limit: limit) }
            let length = head.contentLength ?? 0
            guard length <= limit else { return nil }
            return try await exactly(length)
        }

        private mutating func exactly(_ count: Int) async throws -> [UInt8]? {
            while buffer.count < count { guard try await fill() else { return nil } }
            defer { buffer.removeFirst(count) }
            return Array(buffer[..<count])
        }

        private mutating func line() async throws -> String? {
            while true {
                if let end = buffer.firstRange(of: Array("\r\n".utf8)) {
                    defer { buffer.removeFirst(end.upperBound) }
                    return String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                }
                guard buffer.count < 4096, try await fill() else { return nil }
            }
        }

        private mutating func chunked(limit: Int) async throws -> [UInt8]? {
            var body: [UInt8] = []
            while let sizeLine = try await line(), let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) {
                if size == 0 {
                    while let trailer = try await line(), !trailer.isEmpty {}
                    return body
                }
                guard body.count + size <= limit, let chunk = try await exactly(size), try await line() == "" else { return nil }
                body += chunk
            }
            return nil
        }

        private mutating func fill() async throws -> Bool {
            let bytes = try await tls.read()
            buffer += bytes
            return !bytes.isEmpty
        }
    }
}
