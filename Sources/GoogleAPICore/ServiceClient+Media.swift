import MTLS
import FoundationEssentials
import Glibc
import HTTP2

extension ServiceClient {
    /// Uploads `media` (with `metadata`) to a Discovery upload path such as `/upload/storage/v1/b/{bucket}/o`,
    /// reporting bytes sent and the total to `progress`. Returns the created resource.
    public func upload<Response: Decodable & Sendable>(_ uploadPath: String, pathParameters: [String: String] = [:],
                                                       query: [QueryItem] = [], metadata: (any Encodable & Sendable)?,
                                                       media: MediaSource, protocol kind: UploadProtocol,
                                                       progress: (@Sendable (Int, Int?) -> Void)? = nil) async throws -> Response {
        let path = try PathTemplate.expand(String(uploadPath.drop { $0 == "/" }), pathParameters)
        let total = try media.size()
        let bytes: [UInt8]
        switch kind {
        case .simple:
            bytes = try await send(Exchange(method: "POST", url: rootURL + path + QueryItem.encode(query + [QueryItem("uploadType", "media")]),
                                            headers: ["content-type": "application/octet-stream"],
                                            body: .bytes(try media.read(from: 0, count: total)))) { try await $0.body.collect(upTo: 16 << 20) }.1
        case .multipart:
            bytes = try await multipart(path, query: query, metadata: metadata, media: media, total: total)
        case .resumable(let chunkSize):
            bytes = try await resumable(path, query: query, metadata: metadata, media: media, total: total,
                                        chunkSize: max(1, (chunkSize + (256 << 10) - 1) / (256 << 10)) * (256 << 10), progress: progress)
        }
        progress?(total, total)
        return try decode(Response.self, bytes)
    }

    private func decode<Response: Decodable>(_ type: Response.Type, _ bytes: [UInt8]) throws -> Response {
        do {
            return try JSONDecoder().decode(Response.self, from: Data(bytes.isEmpty ? Array("{}".utf8) : bytes))
        } catch {
            throw GoogleAPIError(status: 200, code: "INTERNAL", message: "the upload's answer does not decode as \(Response.self): \(error)")
        }
    }

    private func multipart(_ path: String, query: [QueryItem], metadata: (any Encodable & Sendable)?, media: MediaSource,
                           total: Int) async throws -> [UInt8] {
        let boundary = "swift-google-mtls-" + String(UInt64.random(in: .min ... .max), radix: 16)
        var body = Array("--\(boundary)\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n".utf8)
        body += metadata.map { Array((try? JSONEncoder().encode($0)) ?? Data("{}".utf8)) } ?? Array("{}".utf8)
        body += Array("\r\n--\(boundary)\r\ncontent-type: application/octet-stream\r\n\r\n".utf8)
        body += try media.read(from: 0, count: total)
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let url = rootURL + path + QueryItem.encode(query + [QueryItem("uploadType", "multipart")])
        return try await send(Exchange(method: "POST", url: url, headers: ["content-type": "multipart/related; boundary=\(boundary)"],
                                       body: .bytes(body))) { try await $0.body.collect(upTo: 16 << 20) }.1
    }

    /// A resumable session: start it, send chunks, and after a failed chunk ask the server how
    /// much it has (`bytes */total`) and go on from there.
    private func resumable(_ path: String, query: [QueryItem], metadata: (any Encodable & Sendable)?, media: MediaSource,
                           total: Int, chunkSize: Int, progress: (@Sendable (Int, Int?) -> Void)?) async throws -> [UInt8] {
        let start = Exchange(method: "POST", url: rootURL + path + QueryItem.encode(query + [QueryItem("uploadType", "resumable")]),
                             headers: ["content-type": "application/json; charset=UTF-8", "x-upload-content-length": String(total),
                                       "x-upload-content-type": "application/octet-stream"],
                             body: .bytes(Array(try JSONEncoder().encode(AnyEncodable(metadata)))), idempotent: true)
        let (opened, _) = try await send(start) { _ in () }
        guard let session = opened.headers.first(name: "location") else {
            throw GoogleAPIError(status: opened.status, code: "INTERNAL", message: "the resumable upload was not given a session URL")
        }
        var offset = 0
        var failures = 0
        while true {
            let end = min(offset + chunkSize, total)
            let range = total == 0 ? "bytes */0" : "bytes \(offset)-\(end - 1)/\(total)"
            let chunk = Exchange(method: "PUT", url: session, headers: ["content-range": range],
                                 body: .bytes(try media.read(from: offset, count: end - offset)), idempotent: true)
            do {
                let (response, body) = try await send(chunk, accepting: [308]) { try await $0.body.collect(upTo: 16 << 20) }
                if response.status != 308 { return body }
                offset = Self.committed(response)
                progress?(offset, total)
            } catch where failures < options.retry.maxAttempts {
                failures += 1
                guard let resumed = try await status(of: session, total: total) else { continue }
                if case .done(let body) = resumed { return body }
                if case .at(let committed) = resumed { offset = committed }
            }
        }
    }

    private enum UploadStatus { case at(Int), done([UInt8]) }

    /// Asks a resumable session how many bytes it holds.
    private func status(of session: String, total: Int) async throws -> UploadStatus? {
        let query = Exchange(method: "PUT", url: session, headers: ["content-range": "bytes */\(total)"], body: .none, idempotent: true)
        guard let (response, body) = try? await send(query, accepting: [308], read: { try await $0.body.collect(upTo: 16 << 20) }) else {
            return nil
        }
        return response.status == 308 ? .at(Self.committed(response)) : .done(body)
    }

    /// The byte count a 308 answer's `range: bytes=0-N` commits (0 without a range).
    private static func committed(_ response: HTTPResponse) -> Int {
        guard let range = response.headers.first(name: "range"), let last = range.split(separator: "-").last,
              let value = Int(last) else { return 0 }
        return value + 1
    }

    /// Downloads media (`alt=media` is added) into `sink`, resuming with `Range` after a dropped
    /// connection, reporting bytes received and the total when known. Returns the bytes for `.collect`.
    @discardableResult
    public func download(_ httpMethod: String = "GET", _ path: String, pathParameters: [String: String] = [:],
                         query: [QueryItem] = [], to sink: MediaSink,
                         progress: (@Sendable (Int, Int?) -> Void)? = nil) async throws -> [UInt8] {
        let items = query.contains { $0.name == "alt" } ? query : query + [QueryItem("alt", "media")]
        let url = baseURL + (try PathTemplate.expand(path, pathParameters)) + QueryItem.encode(items)
        let writer = try SinkWriter(sink)
        var failures = 0
        while true {
            let received = writer.count
            // Media arrives as stored (no transcoding, so ranges and checksums hold).
            var headers: HTTPHeaders = ["accept-encoding": "identity"]
            if received > 0 { headers.add(name: "range", value: "bytes=\(received)-") }
            do {
                _ = try await send(Exchange(method: httpMethod, url: url, headers: headers), rereadable: false) { response in
                    let total = response.headers.first(name: "content-length").flatMap(Int.init).map { $0 + received }
                    for try await chunk in response.body {
                        try await writer.write(chunk)
                        progress?(writer.count, total)
                    }
                }
                return writer.finish()
            } catch let error as HTTPClientError where failures < options.retry.maxAttempts {
                failures += 1   // the body broke off: ask for the rest
                if error.code == .deadlineExceeded { throw error }
            }
        }
    }
}

/// Writes downloaded chunks to a sink, counting them.
final class SinkWriter: Sendable {
    private let sink: MediaSink
    private let state = Locked<(count: Int, collected: [UInt8], fd: Int32)>((0, [], -1))

    init(_ sink: MediaSink) throws {
        self.sink = sink
        if case .file(let path) = sink {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw GoogleAPIError(status: 0, code: "INVALID_ARGUMENT", message: "cannot write the download to \(path)")
            }
            state.withLock { $0.fd = fd }
        }
    }

    deinit { state.withLock { if $0.fd >= 0 { close($0.fd) } } }

    var count: Int { state.withLock { $0.count } }

    func write(_ chunk: [UInt8]) async throws {
        if case .handler(let handler) = sink { try await handler(chunk) }
        try state.withLock { state in
            state.count += chunk.count
            if case .collect = sink { state.collected += chunk }
            if state.fd >= 0 {
                let fd = state.fd
                let written = chunk.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                guard written == chunk.count else {
                    throw GoogleAPIError(status: 0, code: "INTERNAL", message: "writing the download failed")
                }
            }
        }
    }

    func finish() -> [UInt8] { state.withLock { $0.collected } }
}

/// Encodes an optional existential (metadata may be absent: `{}` is sent).
struct AnyEncodable: Encodable {
    let value: (any Encodable)?
    init(_ value: (any Encodable)?) { self.value = value }
    func encode(to encoder: any Encoder) throws {
        if let value { try value.encode(to: encoder) } else {
            var container = encoder.singleValueContainer()
            try container.encode(Empty())
        }
    }
}
