import FoundationEssentials
import Glibc

/// An HTTP request, in the spirit of AsyncHTTPClient's `HTTPClientRequest`.
public struct HTTPRequest: Sendable {
    /// The method, e.g. `GET`.
    public var method: String
    /// The absolute `https` URL.
    public var url: String {
        didSet { parsedURL = Self.parse(url) }
    }
    /// `url` read when it was set: a request sent many times is not parsed each time.
    private var parsedURL: Result<Target, any Error>
    /// Header fields; `:authority`, `:path` and friends are derived from `url`.
    public var headers: HTTPHeaders
    /// The body (none by default).
    public var body: Body

    /// A request body: bytes in memory, a file, or any async sequence of chunks. Files and
    /// sequences are streamed as the peer's flow-control window allows, never read in whole.
    public struct Body: Sendable {
        enum Source: Sendable {
            case bytes([UInt8])
            /// Runs the sequence afresh, handing each chunk to `emit`.
            case stream(length: Int?, Pump)
        }
        typealias Pump = @Sendable (_ emit: @Sendable ([UInt8]) async throws -> Void) async throws -> Void
        let source: Source

        /// No body.
        public static let none = Body(source: .bytes([]))

        /// Bytes already in memory.
        public static func bytes(_ bytes: [UInt8]) -> Body { Body(source: .bytes(bytes)) }

        /// Chunks from an async sequence, made fresh for each attempt (a retried request restarts it).
        /// `length`, when known, is sent as `content-length`.
        public static func stream<Chunks: AsyncSequence & SendableMetatype>(length: Int? = nil,
                                                         _ makeSequence: @escaping @Sendable () -> Chunks) -> Body
            where Chunks.Element == [UInt8] {
            Body(source: .stream(length: length) { emit in
                for try await chunk in makeSequence() { try await emit(chunk) }
            })
        }

        /// The contents of a file, read in 256 KiB chunks as they are sent.
        public static func file(_ path: String) throws -> Body {
            var status = stat()
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
                throw HTTPClientError(.invalidRequest, "the request body file \(path) is not a readable file")
            }
            return .stream(length: Int(status.st_size)) { FileChunks(path: path) }
        }

        /// The body's length in bytes when it is known up front (bytes, files, streams given a length).
        public var length: Int? {
            switch source {
            case .bytes(let bytes): bytes.count
            case .stream(let length, _): length
            }
        }
    }

    /// A request with no body.
    public init(method: String = "GET", url: String, headers: HTTPHeaders = [:], body: Body = .none) {
        self.method = method
        self.url = url
        parsedURL = Self.parse(url)
        self.headers = headers
        self.body = body
    }

    /// The parts HTTP/2 needs, checked.
    struct Target: Hashable, Sendable {
        let host: String
        let port: Int
        let path: String
        var authority: String { port == 443 ? host : "\(host):\(port)" }
    }

    /// The request's host, port and path, from its https URL.
    ///
    /// A small RFC 3986 reader rather than `URLComponents`: it runs for every request, and the
    /// general parser costs time and brings a good part of Foundation's code into memory. Only
    /// `https://[userinfo@]host[:port][/path][?query][#fragment]` with valid URI characters passes;
    /// the user info and fragment are left out, as HTTP/2 sends neither.
    func target() throws -> Target {
        try parsedURL.get()
    }

    private static func parse(_ url: String) -> Result<Target, any Error> {
        var bytes = url
        return Result { try bytes.withUTF8 { try target(of: $0, url: url) } }
    }

    /// The target in `url`, given as its UTF-8 `bytes`.
    private static func target(of bytes: UnsafeBufferPointer<UInt8>, url: String) throws -> Target {
        var notAbsolute: HTTPClientError { HTTPClientError(.invalidRequest, "\"\(url)\" is not an absolute URL") }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              bytes[colon...].starts(with: "://".utf8),
              bytes[..<colon].allSatisfy({ URIBytes.isSchemeByte($0) }), bytes.allSatisfy({ URIBytes.isAllowed($0) }),
              URIBytes.hasValidEscapes(bytes) else { throw notAbsolute }
        let rest = bytes[(colon + 3)...]
        let authorityEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
            ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) { authority = authority[(at + 1)...] }
        // The host: a bracketed IP literal (kept with its brackets) or a name; then an optional port.
        let hostEnd: Int
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { throw notAbsolute }
            hostEnd = close + 1
        } else {
            hostEnd = authority.firstIndex(of: UInt8(ascii: ":")) ?? authority.endIndex
        }
        let hostBytes = authority[..<hostEnd]
        let isBracket = { (byte: UInt8) in byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]") }
        // Brackets only around an IP literal: nowhere else in the host, nor in the path or query.
        guard hostBytes.count > (hostBytes.first == UInt8(ascii: "[") ? 2 : 0),
              !hostBytes.dropFirst().dropLast().contains(where: isBracket),
              hostBytes.first == UInt8(ascii: "[") || !hostBytes.contains(where: isBracket),
              !rest[authorityEnd...].contains(where: isBracket) else { throw notAbsolute }
        let host = String(decoding: hostBytes, as: UTF8.self)
        var port = 443
        if hostEnd < authority.endIndex {
            let digits = authority[(hostEnd + 1)...]
            guard authority[hostEnd] == UInt8(ascii: ":"), digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else { throw notAbsolute }
            if !digits.isEmpty {
                guard digits.count <= 5, let number = Int(String(decoding: digits, as: UTF8.self)), number <= 65535 else {
                    throw notAbsolute
                }
                port = number
            }
        }
        guard bytes[..<colon].lazy.map({ $0 | 0x20 }).elementsEqual("https".utf8) else {   // ASCII case folding
            throw HTTPClientError(.invalidRequest, "\"\(url)\" is not an https URL: this client speaks HTTP/2 over TLS only")
        }
        let fragment = rest.firstIndex(of: UInt8(ascii: "#")) ?? rest.endIndex
        var path = String(decoding: rest[authorityEnd..<fragment], as: UTF8.self)
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        let hasUppercase = hostBytes.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
        return Target(host: hasUppercase ? host.lowercased() : host, port: port, path: path)
    }
}

/// The characters RFC 3986 allows in a URI, for `HTTPRequest.target()`.
enum URIBytes {
    /// Unreserved, sub-delims, gen-delims and `%`: anything else (spaces, controls, quotes, `<>`,
    /// non-ASCII) must be percent-encoded.
    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"),
             UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="),
             UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "%"):
            true
        default:
            false
        }
    }

    /// ALPHA, DIGIT, `+`, `-` and `.` (RFC 3986 section 3.1).
    static func isSchemeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    /// Every `%` is followed by two hex digits.
    static func hasValidEscapes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        func isHex(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): true
            default: false
            }
        }
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, isHex(bytes[index + 1]), isHex(bytes[index + 2]) else { return false }
                index += 3
            } else {
                index += 1
            }
        }
        return true
    }
}

/// A file read in chunks, lazily, straight from its descriptor.
struct FileChunks: AsyncSequence, Sendable {
    let path: String

    /// The open file; closed when the iteration is dropped.
    final class Reader {
        let fd: Int32
        init(path: String) { fd = open(path, O_RDONLY | O_CLOEXEC) }
        deinit { if fd >= 0 { close(fd) } }
    }

    struct Iterator: AsyncIteratorProtocol {
        let reader: Reader
        let path: String

        mutating func next() async throws -> [UInt8]? {
            guard reader.fd >= 0 else {
                throw HTTPClientError(.invalidRequest, "cannot open the request body file \(path)")
            }
            let chunk = try [UInt8](unsafeUninitializedCapacity: 256 * 1024) { buffer, count in
                var result: Int
                repeat { result = read(reader.fd, buffer.baseAddress, buffer.count) } while result < 0 && errno == EINTR
                guard result >= 0 else {
                    throw HTTPClientError(.invalidRequest, "cannot read the request body file \(path)")
                }
                count = result
            }
            return chunk.isEmpty ? nil : chunk
        }
    }

    func makeAsyncIterator() -> Iterator { Iterator(reader: Reader(path: path), path: path) }
}
