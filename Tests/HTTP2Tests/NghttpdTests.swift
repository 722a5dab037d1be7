import Foundation
import HTTP2
import MTLS
import TestSupport
import Testing

/// The same client against nghttpd, a second HTTP/2 server implementation (nghttp2's own), so the
/// client's framing, concurrency and flow control are not only proven against nginx.
@Suite("HTTP/2 over mutual TLS against nghttpd", .timeLimit(.minutes(2)))
struct NghttpdTests {
    let pki = TestPKI.shared

    var base: String { "https://\(TestPKI.serverName)" }

    func client(for peer: PeerProcess) throws -> HTTPClient {
        try HTTPClient(configuration: .init(tls: pki.configuration(identity: try pki.client.identity()),
                                            connectTo: peer.connectTo))
    }

    /// A document root holding `name` with `contents`.
    func documentRoot(_ files: [String: [UInt8]]) throws -> URL {
        let directory = try pki.scratch("htdocs")
        for (name, contents) in files {
            try Data(contents).write(to: directory.appendingPathComponent(name))
        }
        return directory
    }

    @Test("a GET of a small file returns 200 and exactly its bytes")
    func getSmallFileReturnsExactBytes() async throws {
        let contents = randomBytes(1234)
        let peer = try await Nghttpd.start(documentRoot: try documentRoot(["small.bin": contents]).path)
        defer { peer.stop() }
        let client = try client(for: peer)
        let response = try await client.execute(HTTPRequest(url: "\(base)/small.bin"))
        #expect(response.status == 200)
        #expect(try await response.body.collect(upTo: 1 << 20) == contents)
        await client.shutdown()
    }

    @Test("1 000 GETs, 100 at a time, all succeed on one client")
    func thousandConcurrentGetsAllSucceed() async throws {
        let contents = Array("hello from nghttpd\n".utf8)
        let peer = try await Nghttpd.start(documentRoot: try documentRoot(["hello.txt": contents]).path)
        defer { peer.stop() }
        let client = try client(for: peer)
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            var results: [(Int, Bool)] = []
            for index in 0..<1000 {
                if index >= 100, let result = try await group.next() { results.append(result) }
                group.addTask {
                    let response = try await client.execute(HTTPRequest(url: "\(base)/hello.txt"))
                    let body = try await response.body.collect(upTo: 4096)
                    return (response.status, body == contents)
                }
            }
            for try await result in group { results.append(result) }
            return results
        }
        #expect(results.count == 1000)
        #expect(results.allSatisfy { $0.0 == 200 })
        #expect(results.allSatisfy { $0.1 })
        await client.shutdown()
    }

    @Test("a 32 MiB download arrives intact (SHA-256)")
    func largeDownloadArrivesIntact() async throws {
        let blob = randomBytes(32 << 20)
        let peer = try await Nghttpd.start(documentRoot: try documentRoot(["blob": blob]).path)
        defer { peer.stop() }
        let client = try client(for: peer)
        let response = try await client.execute(HTTPRequest(url: "\(base)/blob"), timeout: .seconds(60))
        #expect(response.status == 200)
        let body = try await response.body.collect(upTo: 64 << 20)
        #expect(body.count == blob.count)
        #expect(Digest.sha256(body) == Digest.sha256(blob))
        await client.shutdown()
    }

    /// nghttpd answers only once the request body ended (no `--early-response`), and grants the
    /// default 64 KiB stream window: a 200 proves all 4 MiB went through nghttpd's flow control.
    @Test("a POST with a 4 MiB body completes (request-body flow control against nghttpd)",
          arguments: ["bytes", "stream"])
    func postWithLargeBodyCompletes(_ kind: String) async throws {
        let contents = Array("served whatever the body\n".utf8)
        let peer = try await Nghttpd.start(documentRoot: try documentRoot(["target.txt": contents]).path)
        defer { peer.stop() }
        let client = try client(for: peer)
        let payload = randomBytes(4 << 20)
        let body: HTTPRequest.Body = kind == "bytes" ? .bytes(payload) : .stream(length: payload.count) {
            AsyncStream<[UInt8]> { continuation in
                for offset in stride(from: 0, to: payload.count, by: 100_000) {
                    continuation.yield(Array(payload[offset..<min(offset + 100_000, payload.count)]))
                }
                continuation.finish()
            }
        }
        let response = try await client.execute(HTTPRequest(method: "POST", url: "\(base)/target.txt", body: body),
                                                timeout: .seconds(60))
        #expect(response.status == 200)
        #expect(try await response.body.collect(upTo: 4096) == contents)
        // The connection is still good for another request after the upload.
        let next = try await client.execute(HTTPRequest(url: "\(base)/target.txt"))
        #expect(next.status == 200)
        #expect(try await next.body.collect(upTo: 4096) == contents)
        await client.shutdown()
    }
}
