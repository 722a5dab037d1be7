import MTLS

/// A request received by `HTTP2Server`, body included (servers here buffer requests whole).
public struct HTTPServerRequest: Sendable {
    /// The method, e.g. `POST`.
    public let method: String
    /// The `:path`, query included, e.g. `/storage/v1/b?project=p`.
    public let path: String
    /// The `:authority` (host and maybe port) the client addressed.
    public let authority: String
    /// The regular header fields, names in lower case.
    public let headers: HTTPHeaders
    /// The whole request body.
    public let body: [UInt8]
    /// The client certificate the TLS handshake verified, if the client sent one.
    public let clientCertificate: Certificate?
    /// The host name the client asked for in the TLS handshake (SNI), empty if none.
    public let serverName: String
    /// The client's address, e.g. `127.0.0.1:53122`.
    public let remoteAddress: String

    /// The host part of `authority`, lower-cased.
    public var host: String {
        let text = authority.lowercased()
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") { return String(text[...end]) }
        return String(text.split(separator: ":", maxSplits: 1).first ?? "")
    }
}

/// What a handler answers: status, headers and body; or a connection-level fault, for tests of
/// clients' retries.
public struct HTTPServerResponse: Sendable {
    /// A misbehaviour to act out instead of (or after) answering.
    public enum Fault: Sendable, Hashable {
        /// Answer, then send GOAWAY and close the connection.
        case goAwayAfterResponse
        /// Close the TCP connection at once, without answering (and without TLS close_notify).
        case dropConnection
        /// Refuse the stream (RST_STREAM REFUSED_STREAM): the client may retry it safely.
        case refuseStream
    }

    /// The status code.
    public var status: Int
    /// Header fields (`content-length` is added).
    public var headers: HTTPHeaders
    /// The body.
    public var body: [UInt8]
    /// A fault to act out, if any.
    public var fault: Fault?

    /// A response.
    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = [], fault: Fault? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.fault = fault
    }
}
