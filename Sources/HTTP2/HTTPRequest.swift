import FoundationEssentials
import Glibc

/// An HTTP request, in the spirit of AsyncHTTPClient's `HTTPClientRequest`.
public struct HTTPRequest: Sendable {
    /// The method, e.g. `GET`.
    public var method: String
    /// The absolute `https` URL.
    public var url: String
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

    func target() throws -> Target {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw HTTPClientError(.invalidRequest, "\"\(url)\" is not an absolute URL")
        }
        guard components.scheme?.lowercased() == "https" else {
            throw HTTPClientError(.invalidRequest, "\"\(url)\" is not an https URL: this client speaks HTTP/2 over TLS only")
        }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        let query = components.percentEncodedQuery.map { "?\($0)" } ?? ""
        return Target(host: host.lowercased(), port: components.port ?? 443, path: path + query)
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
