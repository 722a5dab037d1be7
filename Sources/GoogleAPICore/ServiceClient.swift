import FoundationEssentials
import GoogleAuth
import HTTP2
import MTLS

/// The runtime every generated client uses: resolves endpoint, client certificate and
/// credentials once (as Google's libraries do), shares one HTTP/2 client, and makes JSON calls
/// with Google's headers, retries and error decoding.
public final class ServiceClient: Sendable {
    /// The API this client calls.
    public let service: ServiceDescription
    /// What was decided about certificate and endpoint, and why.
    public let resolution: ServiceResolution
    /// The endpoint's root, ending in `/` (upload and download paths are relative to it).
    public let rootURL: String
    /// `rootURL` plus the service path: where method paths start.
    public let baseURL: String
    let options: ClientOptions
    let http: HTTPClient
    let credentials: any CredentialsProvider
    private let fixedHeaders: HTTPHeaders

    /// Resolves everything and prepares the connection settings; no connection is made yet.
    public init(_ service: ServiceDescription, options: ClientOptions = ClientOptions()) async throws {
        self.service = service
        self.options = options
        resolution = try ServiceResolution.resolve(service.endpoints, endpointOverride: options.endpoint,
                                                   universeDomain: options.universeDomain,
                                                   clientCertificate: options.clientCertificate,
                                                   environment: options.environment)
        let endpoint = resolution.endpoint.endpoint
        rootURL = endpoint.hasSuffix("/") ? endpoint : endpoint + "/"
        baseURL = rootURL + service.servicePath
        let credentials: any CredentialsProvider
        if let given = options.credentials {
            credentials = given
        } else {
            let scopes = options.scopes ?? [service.scopes.first ?? "https://www.googleapis.com/auth/cloud-platform"]
            credentials = try await GoogleCredentials.applicationDefault(
                options: CredentialsOptions(scopes: scopes, clientCertificate: resolution.certificate.source, tls: options.tls,
                                            connectTo: options.connectTo),
                environment: options.environment)
        }
        self.credentials = credentials
        http = try HTTPClient(configuration: .init(tls: resolution.tlsConfiguration(options.tls), connectTo: options.connectTo))
        var headers: HTTPHeaders = ["user-agent": "swift-google-mtls/0.1" + (options.userAgent.map { " " + $0 } ?? ""),
                                    "x-goog-api-client": "gl-swift/6 gdcl/0.1"]
        if let project = options.quotaProject ?? (credentials as? GoogleCredentials)?.quotaProjectID {
            headers.add(name: "x-goog-user-project", value: project)
        }
        fixedHeaders = headers
    }

    /// Closes the connections (API and token endpoints).
    public func shutdown() async {
        await http.shutdown()
        await (credentials as? GoogleCredentials)?.shutdown()
    }

    /// A JSON call: `path` is a Discovery path template relative to the service path.
    public func call<Response: Decodable & Sendable>(_ httpMethod: String, _ path: String, pathParameters: [String: String] = [:],
                                                     query: [QueryItem] = [], body: (any Encodable & Sendable)? = nil) async throws -> Response {
        let bytes = try await json(httpMethod, path, pathParameters: pathParameters, query: query, body: body)
        do {
            return try JSONDecoder().decode(Response.self, from: Data(bytes.isEmpty ? Array("{}".utf8) : bytes))
        } catch {
            throw GoogleAPIError(status: 200, code: "INTERNAL", message: "the answer of \(service.name) does not decode as "
                                 + "\(Response.self): \(error)")
        }
    }

    /// A call whose response has no body worth decoding.
    public func callWithoutResponse(_ httpMethod: String, _ path: String, pathParameters: [String: String] = [:],
                                    query: [QueryItem] = [], body: (any Encodable & Sendable)? = nil) async throws {
        _ = try await json(httpMethod, path, pathParameters: pathParameters, query: query, body: body)
    }

    private func json(_ httpMethod: String, _ path: String, pathParameters: [String: String], query: [QueryItem],
                      body: (any Encodable & Sendable)?) async throws -> [UInt8] {
        let url = baseURL + (try PathTemplate.expand(path, pathParameters)) + QueryItem.encode(query)
        var headers: HTTPHeaders = [:]
        var payload: [UInt8] = []
        if let body {
            headers.add(name: "content-type", value: "application/json")
            payload = Array(try JSONEncoder().encode(body))
        }
        let exchange = Exchange(method: httpMethod, url: url, headers: headers, body: .bytes(payload))
        return try await send(exchange) { try await $0.body.collect(upTo: 256 << 20) }.1
    }

    /// One request, as the retry loop sends it (the body is replayable).
    struct Exchange: Sendable {
        var method: String
        var url: String
        var headers: HTTPHeaders
        var body: HTTPRequest.Body
        /// Safe to send twice: GET, HEAD, PUT, DELETE, or marked so (resumable upload chunks).
        var idempotent: Bool

        init(method: String, url: String, headers: HTTPHeaders = [:], body: HTTPRequest.Body = .none, idempotent: Bool? = nil) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.idempotent = idempotent ?? ["GET", "HEAD", "PUT", "DELETE"].contains(method)
        }
    }

    /// Sends `exchange` with authentication, retrying as the policy says, and hands a successful
    /// (2xx, or 308 for resumable uploads) response to `read`. When the connection breaks while
    /// `read` runs, an idempotent exchange is sent again if `rereadable` (its reader starts afresh
    /// each time; downloads, which resume themselves, say no). Errors are `GoogleAPIError`.
    func send<Result: Sendable>(_ exchange: Exchange, accepting extra: Set<Int> = [], rereadable: Bool = true,
                                read: @Sendable (HTTPResponse) async throws -> Result) async throws -> (HTTPResponse, Result) {
        let deadline = ContinuousClock.now + options.timeout
        var attempt = 1
        var refreshed = false
        while true {
            let response: HTTPResponse
            do {
                response = try await http.execute(try await request(for: exchange), timeout: ContinuousClock.now.duration(to: deadline))
            } catch let error as HTTPClientError where (error.isRetrySafe || exchange.idempotent) && attempt < options.retry.maxAttempts
                        && error.code != .deadlineExceeded {
                try await pause(after: attempt, serverDelay: nil, deadline: deadline, reason: error)
                attempt += 1
                continue
            }
            if (200..<300).contains(response.status) || extra.contains(response.status) {
                do {
                    return (response, try await read(response))
                } catch let error as HTTPClientError where rereadable && exchange.idempotent && attempt < options.retry.maxAttempts
                            && error.code != .deadlineExceeded && error.code != .bodyTooLarge {
                    try await pause(after: attempt, serverDelay: nil, deadline: deadline, reason: error)
                    attempt += 1
                    continue
                }
            }
            let error = GoogleAPIError.decode(status: response.status, body: (try? await response.body.collect(upTo: 1 << 20)) ?? [])
            if response.status == 401 && !refreshed {
                await credentials.invalidate()   // the token may have been revoked or expired early: get a new one once
                refreshed = true
                continue
            }
            guard exchange.idempotent, options.retry.retryableStatuses.contains(response.status),
                  attempt < options.retry.maxAttempts else { throw error }
            try await pause(after: attempt, serverDelay: error.retryDelay, deadline: deadline, reason: error)
            attempt += 1
        }
    }

    private func request(for exchange: Exchange) async throws -> HTTPRequest {
        var headers = fixedHeaders
        for (name, value) in exchange.headers { headers.replaceOrAdd(name: name, value: value) }
        headers.replaceOrAdd(name: "authorization", value: try await credentials.token().authorizationHeader)
        return HTTPRequest(method: exchange.method, url: exchange.url, headers: headers, body: exchange.body)
    }

    /// Waits the backoff, unless it would pass the deadline: then `reason` is the answer.
    private func pause(after attempt: Int, serverDelay: Duration?, deadline: ContinuousClock.Instant,
                       reason: any Error) async throws {
        let wait = options.retry.backoff(after: attempt, serverDelay: serverDelay)
        guard ContinuousClock.now + wait < deadline else { throw reason }
        try await Task.sleep(for: wait)
    }
}
