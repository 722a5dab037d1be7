import FoundationEssentials

/// An error an API answered with, decoded from Google's error envelope (`google.rpc.Status` as
/// REST sends it), or a local failure to make the call.
///
/// `code` is the canonical gRPC-style name (`NOT_FOUND`, `PERMISSION_DENIED`, `UNAVAILABLE`, ...),
/// from the envelope's `status` or, without one, from the HTTP status.
public struct GoogleAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A `google.rpc` detail the server attached.
    public struct Detail: Sendable, Hashable {
        /// The `@type`, e.g. `type.googleapis.com/google.rpc.ErrorInfo`.
        public let type: String
        /// ErrorInfo's reason (e.g. `SERVICE_DISABLED`), if this is one.
        public let reason: String?
        /// ErrorInfo's domain, if this is one.
        public let domain: String?
        /// ErrorInfo's metadata, if this is one.
        public let metadata: [String: String]
        /// RetryInfo's delay, if this is one.
        public let retryDelay: Duration?
    }

    /// The HTTP status (0 when no response arrived).
    public let status: Int
    /// The canonical code name.
    public let code: String
    /// The server's message.
    public let message: String
    /// The details (ErrorInfo, RetryInfo, ...).
    public let details: [Detail]

    /// An error with these parts.
    public init(status: Int, code: String, message: String, details: [Detail] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    /// The delay RetryInfo asks for, if any.
    public var retryDelay: Duration? { details.lazy.compactMap(\.retryDelay).first }

    public var description: String { "GoogleAPIError(\(status) \(code)): \(message)" }

    /// The error in a response body, whatever its shape.
    static func decode(status: Int, body: [UInt8]) -> GoogleAPIError {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body)) else {
            let text = String(decoding: body.prefix(500), as: UTF8.self)
            return GoogleAPIError(status: status, code: canonical(status), message: text.isEmpty ? "HTTP \(status)" : text)
        }
        let error = envelope.error
        return GoogleAPIError(status: status, code: error.status ?? canonical(status), message: error.message ?? "HTTP \(status)",
                              details: (error.details ?? []).map(\.detail))
    }

    /// The canonical code for an HTTP status (google.rpc.Code's mapping).
    static func canonical(_ status: Int) -> String {
        switch status {
        case 400: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ABORTED"
        case 412: "FAILED_PRECONDITION"
        case 416: "OUT_OF_RANGE"
        case 429: "RESOURCE_EXHAUSTED"
        case 499: "CANCELLED"
        case 501: "UNIMPLEMENTED"
        case 503: "UNAVAILABLE"
        case 504: "DEADLINE_EXCEEDED"
        case 500...599: "INTERNAL"
        default: "UNKNOWN"
        }
    }

    private struct Envelope: Decodable {
        struct Body: Decodable {
            let code: Int?
            let message: String?
            let status: String?
            let details: [RawDetail]?
        }
        let error: Body
    }

    private struct RawDetail: Decodable {
        let type: String
        let reason: String?
        let domain: String?
        let metadata: [String: String]?
        let retryDelay: String?

        enum CodingKeys: String, CodingKey {
            case type = "@type"
            case reason, domain, metadata, retryDelay
        }

        var detail: Detail {
            Detail(type: type, reason: reason, domain: domain, metadata: metadata ?? [:],
                   retryDelay: retryDelay.flatMap(Self.duration))
        }

        /// `"1.5s"` → 1.5 s; nil unless it is a google.protobuf.Duration's JSON within its range
        /// (0 to 10 000 years): a hostile `"1e300s"` must not crash the conversion.
        static func duration(_ text: String) -> Duration? {
            guard text.hasSuffix("s"), let seconds = Double(text.dropLast()),
                  seconds.isFinite, (0...315_576_000_000).contains(seconds) else { return nil }
            return .milliseconds(Int64(seconds * 1000))
        }
    }
}
