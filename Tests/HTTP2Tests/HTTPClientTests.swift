import Foundation
import HTTP2
import MTLS
import TestSupport
import Testing

/// Random bytes from the kernel.
func randomBytes(_ count: Int) -> [UInt8] {
    [UInt8](FileHandle(forReadingAtPath: "/dev/urandom")!.readData(ofLength: count))
}

/// nginx with HTTP/2 on, or off (the client then falls back to HTTP/1.1 with the same API).
enum Transport: String, CaseIterable, Sendable {
    case http2, http1

    /// What nginx's `$server_protocol` says for it.
    var serverProtocol: String { self == .http2 ? "HTTP/2.0" : "HTTP/1.1" }
}

@Suite("HTTP/2 (and the HTTP/1.1 fallback) over mutual TLS against nginx")
struct HTTPClientTests {
    let pki = TestPKI.shared

    func client(for peer: NginxPeer) throws -> HTTPClient {
        try HTTPClient(configuration: .init(tls: pki.configuration(identity: try pki.client.identity()),
                                            connectTo: peer.connectTo))
    }

    var base: String { "https://\(TestPKI.serverName)" }

    @Test("a GET returns status, headers and body", arguments: Transport.allCases)
    func getSmall(_ transport: Transport) async throws {
        let peer = try await Nginx.start(http2: transport == .http2)
        defer { peer.stop() }
        let client = try client(for: peer)
        let response = try await client.execute(HTTPRequest(url: "\(base)/small"))
        #expect(response.status == 200)
        #expect(response.headers.first(name: "content-type") == "application/json")
        let body = try await response.body.collect(upTo: 1 << 20)
        #expect(String(decoding: body, as: UTF8.self).contains("storage#object"))
        let whoami = try await client.execute(HTTPRequest(url: "\(base)/")).body.collect(upTo: 4096)
        #expect(String(decoding: whoami, as: UTF8.self).contains("verify=SUCCESS subject=CN=test-device"))
        #expect(String(decoding: whoami, as: UTF8.self).contains("protocol=\(transport.serverProtocol)"))
        await client.shutdown()
    }

    @Test("1 000 GETs, 100 at a time, all succeed on one client", arguments: Transport.allCases)
    func manyConcurrentRequests(_ transport: Transport) async throws {
        let peer = try await Nginx.start(http2: transport == .http2)
        defer { peer.stop() }
        let client = try client(for: peer)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            var statuses: [Int] = []
            for index in 0..<1000 {
                if index >= 100, let status = try await group.next() { statuses.append(status) }
                group.addTask {
                    let response = try await client.execute(HTTPRequest(url: "\(base)/small"))
                    _ = try await response.body.collect(upTo: 4096)
                    return response.status
                }
            }
            for try await status in group { statuses.append(status) }
            return statuses
        }
        #expect(statuses.count == 1000)
        #expect(statuses.allSatisfy { $0 == 200 })
        await client.shutdown()
    }

    @Test("a 64 MiB download arrives intact (SHA-256)", arguments: Transport.allCases)
    func largeDownload(_ transport: Transport) async throws {
        let directory = try pki.scratch("files")
        let blob = randomBytes(64 << 20)
        try Data(blob).write(to: directory.appendingPathComponent("blob"))
        let peer = try await Nginx.start(http2: transport == .http2, documentRoot: directory.path)
        defer { peer.stop() }
        let client = try client(for: peer)
        let response = try await client.execute(HTTPRequest(url: "\(base)/files/blob"), timeout: .seconds(60))
        #expect(response.status == 200)
        let body = try await response.body.collect(upTo: 128 << 20)
        #expect(Digest.sha256(body) == Digest.sha256(blob))
        await client.shutdown()
    }

    @Test("uploads from memory, a stream (of known or unknown length) and a file arrive intact (SHA-256)",
          arguments: Transport.allCases, ["bytes", "stream", "chunked", "file"])
    func largeUpload(_ transport: Transport, _ kind: String) async throws {
        let peer = try await Nginx.start(http2: transport == .http2)
        defer { peer.stop() }
        let client = try client(for: peer)
        let payload = randomBytes(16 << 20)
        let body: HTTPRequest.Body
        switch kind {
        case "bytes":
            body = .bytes(payload)
        case "stream", "chunked":
            body = .stream(length: kind == "stream" ? payload.count : nil) {
                AsyncStream<[UInt8]> { continuation in
                    for offset in stride(from: 0, to: payload.count, by: 100_000) {
                        continuation.yield(Array(payload[offset..<min(offset + 100_000, payload.count)]))
                    }
                    continuation.finish()
                }
            }
        default:
            let path = try pki.scratch("upload").appendingPathComponent("payload").path
            try Data(payload).write(to: URL(fileURLWithPath: path))
            body = try .file(path)
        }
        let response = try await client.execute(HTTPRequest(method: "POST", url: "\(base)/upload", body: body),
                                                timeout: .seconds(60))
        #expect(response.status == 200)
        let answer = String(decoding: try await response.body.collect(upTo: 4096), as: UTF8.self)
        #expect(answer == "bytes=\(payload.count)\n")   // nginx counts a chunked body once it has read it
        let stored = try peer.uploadedFiles()
        #expect(stored.count == 1)
        let received = try [UInt8](Data(contentsOf: try #require(stored.first)))
        #expect(Digest.sha256(received) == Digest.sha256(payload))
        await client.shutdown()
    }

    @Test("trailers are available after the body")
    func trailers() async throws {
        let peer = try await Nginx.start()
        defer { peer.stop() }
        let client = try client(for: peer)
        let response = try await client.execute(HTTPRequest(url: "\(base)/trailers"))
        #expect(try await response.body.collect(upTo: 4096) == Array("body with trailers\n".utf8))
        #expect(await response.body.trailers()?.first(name: "x-checksum") == "done")
        await client.shutdown()
    }

    @Test("a deadline that passes mid-body fails the read, and the client keeps working", arguments: Transport.allCases)
    func deadlineMidBody(_ transport: Transport) async throws {
        let directory = try pki.scratch("files")
        try Data(randomBytes(64 << 20)).write(to: directory.appendingPathComponent("blob"))
        let peer = try await Nginx.start(http2: transport == .http2, documentRoot: directory.path)
        defer { peer.stop() }
        let client = try client(for: peer)
        // Margins are wide: the suite runs tests in parallel on two cores.
        let response = try await client.execute(HTTPRequest(url: "\(base)/files/blob"), timeout: .seconds(5))
        var iterator = response.body.makeAsyncIterator()
        _ = try await iterator.next()
        try await Task.sleep(for: .milliseconds(5500))
        let error = await #expect(throws: HTTPClientError.self) {
            while try await iterator.next() != nil {}
        }
        #expect(error?.code == .deadlineExceeded)
        let next = try await client.execute(HTTPRequest(url: "\(base)/small"))
        #expect(next.status == 200)
        await client.shutdown()
    }

    @Test("cancelling requests in flight resets their streams and leaves the connection usable")
    func cancellation() async throws {
        let directory = try pki.scratch("files")
        try Data(randomBytes(8 << 20)).write(to: directory.appendingPathComponent("blob"))
        let peer = try await Nginx.start(documentRoot: directory.path)
        defer { peer.stop() }
        let client = try client(for: peer)
        let tasks = (0..<50).map { _ in
            Task {
                let response = try await client.execute(HTTPRequest(url: "\(base)/files/blob"))
                for try await _ in response.body { try await Task.sleep(for: .milliseconds(10)) }
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        tasks.forEach { $0.cancel() }
        for task in tasks { _ = await task.result }
        let response = try await client.execute(HTTPRequest(url: "\(base)/small"))
        #expect(response.status == 200)
        #expect(try await response.body.collect(upTo: 4096).count > 0)
        await client.shutdown()
    }

    @Test("with HTTP/1.1 forbidden, a server without h2 is refused with noApplicationProtocol")
    func http1Forbidden() async throws {
        let peer = try await Nginx.start(http2: false)
        defer { peer.stop() }
        var configuration = HTTPClient.Configuration(tls: pki.configuration(identity: try pki.client.identity()),
                                                     connectTo: peer.connectTo)
        configuration.allowHTTP1 = false
        let client = try HTTPClient(configuration: configuration)
        let error = await #expect(throws: TLSError.self) { _ = try await client.execute(HTTPRequest(url: "\(base)/small")) }
        #expect(error?.code == .noApplicationProtocol)
        await client.shutdown()
    }

    @Test("a non-https URL is an invalidRequest error")
    func rejectsPlainHTTP() async throws {
        let client = try HTTPClient()
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPRequest(url: "http://example.com/"))
        }
        #expect(error?.code == .invalidRequest)
    }
}
