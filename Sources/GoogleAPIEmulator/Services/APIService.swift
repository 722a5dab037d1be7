import FoundationEssentials

/// A request as the emulator's services see it (HTTP/2 and TLS already handled by the server).
///
/// `path` stays percent-encoded (object names may contain `%2F`); `query` is already decoded.
public struct APIRequest: Sendable {
    /// The HTTP method: "GET", "POST", ...
    public var method: String
    /// The percent-encoded path without the query, e.g. "/storage/v1/b/my-bucket/o/a%2Fb.txt".
    public var path: String
    /// Percent-decoded query parameters; a name may carry several values.
    public var query: [String: [String]]
    /// Header values by lowercased name (`host` or `:authority` carries the authority).
    public var headers: [String: String]
    /// The request body.
    public var body: [UInt8]

    /// A request; header names are lowercased here, so callers may pass any case.
    public init(
        method: String, path: String, query: [String: [String]] = [:],
        headers: [String: String] = [:], body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }
}

/// The answer a service gives to an `APIRequest`.
public struct APIResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Response headers with lowercased names, in order (`content-length` is left to the server).
    public var headers: [(String, String)]
    /// The response body.
    public var body: [UInt8]

    /// A response with these parts.
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// JSON body (content-type application/json; charset=UTF-8), encoded with sorted keys.
    ///
    /// Optional properties that are nil are left out, as Google's APIs do.
    public static func json(_ status: Int, _ value: some Encodable) -> APIResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let contentType = [("content-type", "application/json; charset=UTF-8")]
        guard let data = try? encoder.encode(value) else {
            let fallback = #"{"error":{"code":500,"message":"response encoding failed","status":"INTERNAL"}}"#
            return APIResponse(status: 500, headers: contentType, body: Array(fallback.utf8))
        }
        return APIResponse(status: status, headers: contentType, body: Array(data))
    }

    /// Google's error envelope
    /// {"error":{"code":N,"message":"...","status":"NOT_FOUND","errors":[{"message","domain":"global","reason"}]}}
    public static func error(_ status: Int, _ message: String, status name: String, reason: String) -> APIResponse {
        json(status, GoogleErrorEnvelope(code: status, message: message, status: name, reason: reason))
    }
}

/// One emulated API. Returns nil when the request is not for it (another service may answer).
public protocol APIService: Sendable {
    /// The response to `request`, or nil when its path is outside this service.
    func handle(_ request: APIRequest) async -> APIResponse?
}
