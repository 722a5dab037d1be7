/// An HTTP response whose head has arrived; the body streams in as it is read.
public struct HTTPResponse: Sendable {
    /// The status code, e.g. 200.
    public let status: Int
    /// The header fields (pseudo-headers excluded).
    public let headers: HTTPHeaders
    /// The body, an async sequence of byte chunks. Read it, or drop the response to reset the stream.
    public let body: Body
    /// Where the request's time went: connection set-up, time to first byte.
    public let metrics: RequestMetrics

    /// The response body: chunks in order, with backpressure (the server is only allowed to send
    /// more as chunks are read).
    public struct Body: AsyncSequence, Sendable {
        public typealias Element = [UInt8]

        enum Storage: Sendable {
            /// The body had fully arrived with the head: nothing more to ask the connection.
            case complete([UInt8], trailers: HTTPHeaders?)
            /// The body streams from the connection as it is read.
            case streaming(StreamLease)
            /// A gzip or deflate body, inflated as it is read, up to `limit` bytes.
            indirect case inflating(Body, limit: Int)
        }
        let storage: Storage

        public struct AsyncIterator: AsyncIteratorProtocol {
            var storage: Storage?
            /// For `.inflating`: the compressed body's iterator and the decompressor (a class: the
            /// iterator cannot hold another iterator of its own type by value).
            private let inflating: InflatingSource?

            init(storage: Storage) {
                if case .inflating(let body, let limit) = storage {
                    inflating = InflatingSource(body.makeAsyncIterator(), limit: limit)
                } else {
                    inflating = nil
                }
                self.storage = storage
            }

            public mutating func next() async throws -> [UInt8]? {
                switch storage {
                case .complete(let body, _):
                    storage = nil
                    return body.isEmpty ? nil : body
                case .streaming(let lease):
                    return try await lease.connection.nextBody(lease.id)
                case .inflating:
                    return try await inflating?.next()
                case nil:
                    return nil
                }
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(storage: storage) }

        /// Reads the whole body, failing with `bodyTooLarge` beyond `limit` bytes.
        public func collect(upTo limit: Int) async throws -> [UInt8] {
            var collected: [UInt8] = []
            for try await chunk in self {
                guard collected.count + chunk.count <= limit else {
                    throw HTTPClientError(.bodyTooLarge, "the response body is larger than the \(limit)-byte limit")
                }
                collected += chunk
            }
            return collected
        }

        /// The trailer fields, once the body has been read to its end (nil if the server sent none).
        public func trailers() async -> HTTPHeaders? {
            switch storage {
            case .complete(_, let trailers): trailers
            case .streaming(let lease): await lease.connection.trailers(lease.id)
            case .inflating(let body, _): await body.trailers()
            }
        }
    }
}

/// A compressed body being read and inflated.
final class InflatingSource {
    private var iterator: HTTPResponse.Body.AsyncIterator
    private let inflater: Inflater?

    init(_ iterator: HTTPResponse.Body.AsyncIterator, limit: Int) {
        self.iterator = iterator
        inflater = try? Inflater(limit: limit)
    }

    /// The next inflated bytes; nil at the end.
    func next() async throws -> [UInt8]? {
        guard let inflater else { throw HTTPClientError(.decompressionFailed, "zlib could not start a decompressor") }
        while let compressed = try await iterator.next() {
            let output = try inflater.inflate(compressed)
            if !output.isEmpty { return output }
        }
        return nil
    }
}

extension HTTPResponse {
    /// The response with a gzip/deflate body inflated as it is read (and the encoding headers
    /// removed); others unchanged.
    func inflated(limit: Int) -> HTTPResponse {
        let encoding = headers.first(name: "content-encoding")?.lowercased() ?? ""
        guard encoding == "gzip" || encoding == "deflate" || encoding == "x-gzip" else { return self }
        var headers = headers
        headers.remove(name: "content-encoding")
        headers.remove(name: "content-length")
        return HTTPResponse(status: status, headers: headers, body: Body(storage: .inflating(body, limit: limit)), metrics: metrics)
    }
}

/// Keeps a response's stream alive while someone holds its body; when the last holder lets go,
/// the stream is reset if unfinished and its flow-control window given back.
final class StreamLease: Sendable {
    let connection: any PooledConnection
    let id: Int32

    init(connection: any PooledConnection, id: Int32) {
        self.connection = connection
        self.id = id
    }

    deinit {
        let connection = connection, id = id
        _ = connection.loop.tryExecute { connection.onLoop { $0.abandon(id) } }
    }
}
