/// A failure of an HTTP request, like AsyncHTTPClient's `HTTPClientError`: a stable `code`,
/// a human `message`, and whether sending the request again is safe.
public struct HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier of the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name, e.g. `"streamReset"`.
        public let name: String
        /// Makes a code from its stable name.
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The request itself is malformed (not an https URL, bad header).
        public static let invalidRequest = Code("invalidRequest")
        /// The server reset the stream (RST_STREAM) before the response was complete.
        public static let streamReset = Code("streamReset")
        /// The server refused the stream before processing it (REFUSED_STREAM or above GOAWAY's last stream).
        public static let refusedStream = Code("refusedStream")
        /// The connection ended (GOAWAY, EOF, TLS or protocol error) with the request unfinished.
        public static let connectionClosed = Code("connectionClosed")
        /// The peer broke the HTTP/2 protocol.
        public static let protocolError = Code("protocolError")
        /// The deadline passed before the response (or its body) arrived.
        public static let deadlineExceeded = Code("deadlineExceeded")
        /// The response body was larger than the limit given to `collect(upTo:)`.
        public static let bodyTooLarge = Code("bodyTooLarge")
        /// The client was shut down.
        public static let shutdown = Code("shutdown")
        /// Redirects went on beyond `Configuration.redirectLimit`.
        public static let tooManyRedirects = Code("tooManyRedirects")
        /// A redirect pointed at plain http (or another scheme): never followed.
        public static let insecureRedirect = Code("insecureRedirect")
        /// A compressed body inflated beyond `Configuration.decompressionLimit`, or was corrupt.
        public static let decompressionFailed = Code("decompressionFailed")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened, naming the host and stream where it helps.
    public let message: String
    /// True when the server cannot have processed the request, so sending it again is safe
    /// even if it is not idempotent.
    public let isRetrySafe: Bool

    /// Makes an error.
    public init(_ code: Code, _ message: String, isRetrySafe: Bool = false) {
        self.code = code
        self.message = message
        self.isRetrySafe = isRetrySafe
    }

    public var description: String { "HTTPClientError.\(code): \(message)" }
}
