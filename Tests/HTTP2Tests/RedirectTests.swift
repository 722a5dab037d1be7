import HTTP2
import MTLS
import TestSupport
import Testing

/// Redirects: followed for GET and HEAD, never to plain http, credentials kept to their host.
@Suite("Redirects")
struct RedirectTests {
    /// Redirects by path: `/to?<location>` answers 302 to the location; anything else echoes
    /// whether it carried an `authorization` header.
    static func server() async throws -> HTTP2Server {
        try await LocalServer.start { request in
            if request.path.hasPrefix("/to?") {
                return HTTPServerResponse(status: 302, headers: ["location": String(request.path.dropFirst(4))], body: Array("moved".utf8))
            }
            if request.path == "/loop" { return HTTPServerResponse(status: 307, headers: ["location": "/loop"]) }
            let auth = request.headers.first(name: "authorization") == nil ? "anonymous" : "authorized"
            return HTTPServerResponse(status: 200, body: Array("\(request.host)\(request.path) \(auth)".utf8))
        }
    }

    @Test("a GET follows relative and absolute redirects, keeping authorization on the same host only")
    func followsRedirects() async throws {
        let server = try await Self.server()
        defer { Task { await server.shutdown() } }
        let client = try LocalServer.client(for: server)
        defer { Task { await client.shutdown() } }
        let headers: HTTPHeaders = ["authorization": "Bearer t"]
        let same = try await client.execute(HTTPRequest(url: "https://storage.googleapis.com/to?/final", headers: headers))
        #expect(String(decoding: try await same.body.collect(upTo: 100), as: UTF8.self) == "storage.googleapis.com/final authorized")
        let other = try await client.execute(HTTPRequest(url: "https://storage.googleapis.com/to?https://pubsub.googleapis.com/x",
                                                         headers: headers))
        #expect(String(decoding: try await other.body.collect(upTo: 100), as: UTF8.self) == "pubsub.googleapis.com/x anonymous")
    }

    @Test("redirects to plain http are refused; loops stop at the limit; POST and a limit of 0 are not followed")
    func refusesUnsafeRedirects() async throws {
        let server = try await Self.server()
        defer { Task { await server.shutdown() } }
        let client = try LocalServer.client(for: server)
        defer { Task { await client.shutdown() } }
        let insecure = await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPRequest(url: "https://storage.googleapis.com/to?http://storage.googleapis.com/x"))
        }
        #expect(insecure?.code == .insecureRedirect)
        let loop = await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPRequest(url: "https://storage.googleapis.com/loop"))
        }
        #expect(loop?.code == .tooManyRedirects)
        let post = try await client.execute(HTTPRequest(method: "POST", url: "https://storage.googleapis.com/to?/final"))
        #expect(post.status == 302)
        let unfollowing = try LocalServer.client(for: server) { $0.redirectLimit = 0 }
        defer { Task { await unfollowing.shutdown() } }
        #expect(try await unfollowing.execute(HTTPRequest(url: "https://storage.googleapis.com/to?/final")).status == 302)
    }
}
