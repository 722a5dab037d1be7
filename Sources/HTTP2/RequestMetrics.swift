import MTLS

/// Where a request's time went, available on its response.
public struct RequestMetrics: Sendable {
    /// Set when this request waited for the connection it ran on to be opened; nil when it reused one.
    public let newConnection: ConnectionSetup?
    /// From `execute` until the response head arrived (connection set-up and queuing included).
    public let timeToFirstByte: Duration
    /// Request body bytes, when the body's length was known up front.
    public let requestBodyBytes: Int?
    /// Attempts it took (more than one when the server refused a stream it had not processed).
    public let attempts: Int

    /// The phases of opening a connection.
    public struct ConnectionSetup: Sendable {
        /// Resolving the host name.
        public let nameResolution: Duration
        /// The TCP connection.
        public let tcpConnect: Duration
        /// The TLS handshake, client certificate included.
        public let tlsHandshake: Duration

        init(_ info: TLSConnectionInfo) {
            nameResolution = info.nameResolution
            tcpConnect = info.tcpConnect
            tlsHandshake = info.tlsHandshake
        }
    }
}
