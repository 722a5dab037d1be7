import Dispatch
import FoundationEssentials
import GoogleAPICore
import GoogleAuth
import HTTP2
import MTLS

/// The HTTP/1.1 fallback as `HTTPClient` reads a whole answer: status line, 1xx, framing by length,
/// chunks with trailers or close, gzip/deflate, redirects; and through `ServiceClient` (what every
/// generated client calls) the error envelope of a non-2xx answer or the decoding of a 2xx one.
/// A `TLSListener` on 127.0.0.1 offering only `http/1.1` answers each request with the input
/// (after its first byte) verbatim, then closes. The first byte picks the caller, mod 8: 0 GET,
/// 1 HEAD, 2 DELETE, 3 GET with `accept-encoding: identity`, 4-7 a `ServiceClient` GET.
enum HTTP1ExchangeTarget {
    /// What the server answers; set before each request.
    static let answer = Locked<[UInt8]>([])
    static let server = blocking { try await Server.start() }

    static func run(_ bytes: [UInt8]) {
        answer.withLock { $0 = Array(bytes.dropFirst()) }
        let selector = Int(bytes.first ?? 0) % 8
        blocking { selector >= 4 ? await callService() : await callClient(method: ["GET", "HEAD", "DELETE", "GET"][selector],
                                                                          identity: selector == 3) }
    }

    private static func callClient(method: String, identity: Bool) async {
        var configuration = HTTPClient.Configuration(tls: server.tls, connectTo: [server.connectTo])
        configuration.proxy = ProxySettings(proxy: nil)
        configuration.redirectLimit = 1
        let client = try! HTTPClient(configuration: configuration)
        var request = HTTPRequest(method: method, url: "https://fuzz.test/b/o?alt=media")
        if identity { request.headers.add(name: "accept-encoding", value: "identity") }
        if let response = try? await client.execute(request, timeout: .seconds(5)) {
            _ = (response.status, response.headers.description)
            _ = try? await response.body.collect(upTo: 1 << 20)
            _ = await response.body.trailers()?.description
        }
        await client.shutdown()
    }

    private static func callService() async {
        let service = ServiceDescription(name: "fuzz", version: "v1", rootURL: "https://fuzz.test/", mtlsRootURL: nil,
                                         servicePath: "v1/", scopes: [])
        let options = ClientOptions(endpoint: "https://fuzz.test/", credentials: FixedToken(), timeout: .seconds(5), retry: .none,
                                    tls: server.tls, connectTo: [server.connectTo],
                                    environment: AuthEnvironment(variables: [:], homeDirectory: "/nonexistent"))
        let client = try! await ServiceClient(service, options: options)
        do {
            let _: GoogleJSONValue = try await client.call("GET", "things/{id}", pathParameters: ["id": "a/b"])
        } catch let error as GoogleAPIError {
            _ = (error.description, error.retryDelay)
        } catch {
            _ = "\(error)"
        }
        await client.shutdown()
    }

    /// Credentials that always give the same token: no token endpoint is involved.
    struct FixedToken: CredentialsProvider {
        func token() async throws -> AccessToken { AccessToken(value: "fuzz-token", expiry: nil) }
        func invalidate() async {}
    }

    /// The loopback server and how clients reach and trust it.
    struct Server: Sendable {
        let listener: TLSListener
        let tls: TLSConfiguration
        let connectTo: ConnectTo

        static func start() async throws -> Server {
            let authority = try CertificateAuthority(commonName: "fuzz CA")
            let leaf = try authority.makeServerCertificate(dnsNames: ["fuzz.test"])
            let context = try TLSServerContext(configuration: TLSServerConfiguration(identity: leaf.identity(),
                                                                                     applicationProtocols: ["http/1.1"]))
            let listener = try await TLSListener.bind(context: context) { await answer(on: $0) }
            return Server(listener: listener,
                          tls: TLSConfiguration(trustRoots: .certificates([authority.certificate]), sessionResumption: false),
                          connectTo: ConnectTo(host: nil, port: nil, targetHost: "127.0.0.1", targetPort: listener.port))
        }

        /// Reads the request head, writes the answer, closes (with close_notify).
        private static func answer(on connection: TLSConnection) async {
            var request: [UInt8] = []
            while request.firstRange(of: Array("\r\n\r\n".utf8)) == nil {
                guard let bytes = try? await connection.read(), !bytes.isEmpty else { return await connection.close() }
                request += bytes
            }
            try? await connection.write(HTTP1ExchangeTarget.answer.withLock { $0 })
            await connection.close()
        }
    }
}

/// Runs `body` to its end from the synchronous fuzzing callback and returns its result.
func blocking<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) -> Result {
    let done = DispatchSemaphore(value: 0)
    let result = Locked<Result?>(nil)
    Task {
        do { let value = try await body(); result.withLock { $0 = value } } catch { fatalError("fuzz setup failed: \(error)") }
        done.signal()
    }
    done.wait()
    return result.withLock { $0! }
}
