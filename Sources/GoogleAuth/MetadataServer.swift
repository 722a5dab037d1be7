import FoundationEssentials
import Glibc
import MTLS

/// The GCE / GKE / Cloud Run metadata server: plain HTTP on a link-local address (or
/// `GCE_METADATA_HOST`), answering only requests that carry `Metadata-Flavor: Google`.
struct MetadataServer: Sendable {
    /// `host` or `host:port`.
    let host: String
    let timeout: Duration

    init(environment: AuthEnvironment, timeout: Duration) {
        host = environment["GCE_METADATA_HOST"] ?? "169.254.169.254"
        self.timeout = timeout
    }

    /// Whether a metadata server answers at all (and says it is one), within the timeout.
    func isAvailable() async -> Bool {
        guard let (status, headers, _) = try? await get("/") else { return false }
        return status == 200 && headers["metadata-flavor"] == "Google"
    }

    /// A body as text, or nil when the server answers 404.
    func text(_ path: String) async throws -> String? {
        let (status, _, body) = try await get(path)
        if status == 404 { return nil }
        guard status == 200 else {
            throw GoogleAuthError(.tokenRefused, "the metadata server \(host) answered HTTP \(status) for \(path): "
                                  + String(decoding: body.prefix(300), as: UTF8.self).trimmed)
        }
        return String(decoding: body, as: UTF8.self).trimmed
    }

    /// The default service account's token for `scopes`.
    func token(scopes: [String]) async throws -> AccessToken {
        let query = scopes.isEmpty ? "" : "?scopes=" + scopes.map(PercentEncoding.encode).joined(separator: ",")
        let path = "/computeMetadata/v1/instance/service-accounts/default/token" + query
        let (status, _, body) = try await get(path)
        let json = try? JSONValue.parse(body, source: "the metadata server's token")
        guard status == 200, let json else {
            throw GoogleAuthError(.tokenRefused, "the metadata server \(host) refused a token with HTTP \(status)"
                                  + (json.flatMap(TokenEndpoint.errorText).map { ": \($0)" } ?? ""))
        }
        return try AccessToken.oauth(json, from: "the metadata server \(host)")
    }

    /// One `GET` over HTTP/1.0 (so the answer is never chunked), on a worker thread, bounded by the timeout.
    private func get(_ path: String) async throws -> (Int, [String: String], [UInt8]) {
        let host = host, timeout = timeout
        return try await BlockingWork.run("metadata server") { try PlainHTTP.get(host: host, path: path, timeout: timeout) }
    }
}

/// A minimal blocking HTTP/1.0 client for the metadata server: connect, send, read until close.
enum PlainHTTP {
    static func get(host: String, path: String, timeout: Duration) throws -> (Int, [String: String], [UInt8]) {
        let deadline = ContinuousClock.now + timeout
        let (name, port) = split(host)
        let fd = try connect(name, port, deadline: deadline, display: host)
        defer { close(fd) }
        let request = "GET \(path) HTTP/1.0\r\nHost: \(host)\r\nMetadata-Flavor: Google\r\nUser-Agent: swift-google-mtls\r\n\r\n"
        try send(fd, Array(request.utf8), deadline: deadline, display: host)
        return try parse(try receive(fd, deadline: deadline, display: host), display: host)
    }

    private static func failure(_ host: String, _ what: String) -> GoogleAuthError {
        GoogleAuthError(.tokenEndpointUnavailable, "the metadata server \(host) \(what)")
    }

    private static func split(_ host: String) -> (String, String) {
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let name = String(host[host.index(after: host.startIndex)..<close])
            let rest = host[host.index(after: close)...]
            return (name, rest.hasPrefix(":") ? String(rest.dropFirst()) : "80")
        }
        let parts = host.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 2 ? (String(parts[0]), String(parts[1])) : (host, "80")
    }

    private static func remainingMilliseconds(_ deadline: ContinuousClock.Instant) -> Int32 {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return 0 }
        return Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
    }

    private static func wait(_ fd: Int32, for events: Int32, deadline: ContinuousClock.Instant) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(events), revents: 0)
        while true {
            let milliseconds = remainingMilliseconds(deadline)
            guard milliseconds > 0 else { return false }
            let result = poll(&entry, 1, milliseconds)
            if result < 0 && errno == EINTR { continue }
            return result > 0
        }
    }

    private static func connect(_ name: String, _ port: String, deadline: ContinuousClock.Instant, display: String) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, port, &hints, &list) == 0, let first = list else {
            throw failure(display, "cannot be resolved")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
                        | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw failure(display, "cannot be reached: no socket") }
        if Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            var error: Int32 = errno
            if error == EINPROGRESS {
                guard wait(fd, for: POLLOUT, deadline: deadline) else {
                    close(fd)
                    throw failure(display, "did not answer within the timeout (not on Google Cloud?)")
                }
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            }
            if error != 0 {
                close(fd)
                throw failure(display, "cannot be reached: \(String(cString: strerror(error)))")
            }
        }
        return fd
    }

    private static func send(_ fd: Int32, _ bytes: [UInt8], deadline: ContinuousClock.Instant, display: String) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 { offset += sent; continue }
            guard sent < 0, errno == EAGAIN || errno == EINTR, wait(fd, for: POLLOUT, deadline: deadline) else {
                throw failure(display, "closed the connection or timed out while we sent the request")
            }
        }
    }

    private static func receive(_ fd: Int32, deadline: ContinuousClock.Instant, display: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                bytes += buffer.prefix(count)
                guard bytes.count <= 1 << 20 else { throw failure(display, "sent an answer larger than 1 MiB") }
                continue
            }
            if count == 0 { return bytes }
            guard errno == EAGAIN || errno == EINTR, wait(fd, for: POLLIN, deadline: deadline) else {
                throw failure(display, "did not answer within the timeout")
            }
        }
    }

    private static func parse(_ bytes: [UInt8], display: String) throws -> (Int, [String: String], [UInt8]) {
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw failure(display, "sent an incomplete HTTP answer")
        }
        let lines = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
            throw failure(display, "did not answer with HTTP")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmed
        }
        var body = Array(bytes[end.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init), length < body.count { body = Array(body.prefix(length)) }
        return (status, headers, body)
    }
}
