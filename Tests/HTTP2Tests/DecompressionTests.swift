import CZlib
import HTTP2
import MTLS
import Testing

/// gzip responses are inflated as they are read, within a limit; requests that choose their own
/// encoding are left alone.
@Suite("Decompression")
struct DecompressionTests {
    /// `bytes` as a gzip stream.
    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(czlib_gzip_init(&stream) == Z_OK)
        defer { deflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
        let produced = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target -> Int in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }

    /// Answers `body` gzip-compressed when asked for gzip, and says which encoding was asked for.
    static func server(_ body: [UInt8]) async throws -> HTTP2Server {
        let compressed = gzip(body)
        return try await LocalServer.start { request in
            let accepted = request.headers.first(name: "accept-encoding") ?? "none"
            guard accepted.contains("gzip") else { return HTTPServerResponse(status: 200, headers: ["x-accepted": accepted], body: body) }
            return HTTPServerResponse(status: 200, headers: ["content-encoding": "gzip", "x-accepted": accepted], body: compressed)
        }
    }

    @Test("a gzip body is asked for and inflated as it is read")
    func inflatesGzip() async throws {
        let body = Array(String(repeating: "{\"name\":\"projects/p/topics/t\"},", count: 20_000).utf8)
        let server = try await Self.server(body)
        defer { Task { await server.shutdown() } }
        let client = try LocalServer.client(for: server)
        defer { Task { await client.shutdown() } }
        let response = try await client.execute(HTTPRequest(url: "https://pubsub.googleapis.com/v1/topics"))
        #expect(response.headers.first(name: "x-accepted")?.contains("gzip") == true)
        #expect(response.headers.first(name: "content-encoding") == nil)
        #expect(try await response.body.collect(upTo: 4 << 20) == body)
    }

    @Test("a decompression bomb is refused at the limit")
    func refusesBomb() async throws {
        let server = try await Self.server([UInt8](repeating: 0, count: 32 << 20))   // 32 MiB of zeros, ~32 KiB compressed
        defer { Task { await server.shutdown() } }
        let client = try LocalServer.client(for: server) { $0.decompressionLimit = 1 << 20 }
        defer { Task { await client.shutdown() } }
        let response = try await client.execute(HTTPRequest(url: "https://pubsub.googleapis.com/bomb"))
        let error = await #expect(throws: HTTPClientError.self) { _ = try await response.body.collect(upTo: 64 << 20) }
        #expect(error?.code == .decompressionFailed)
    }

    @Test("a request with its own accept-encoding, or a client with decompression off, gets the body as sent")
    func leavesChosenEncodingAlone() async throws {
        let body = Array("plain".utf8)
        let server = try await Self.server(body)
        defer { Task { await server.shutdown() } }
        let client = try LocalServer.client(for: server)
        defer { Task { await client.shutdown() } }
        let identity = try await client.execute(HTTPRequest(url: "https://storage.googleapis.com/o", headers: ["accept-encoding": "identity"]))
        #expect(identity.headers.first(name: "x-accepted") == "identity")
        #expect(try await identity.body.collect(upTo: 100) == body)
        let off = try LocalServer.client(for: server) { $0.decompressionLimit = nil }
        defer { Task { await off.shutdown() } }
        #expect(try await off.execute(HTTPRequest(url: "https://storage.googleapis.com/o")).headers.first(name: "x-accepted") == "none")
    }
}
